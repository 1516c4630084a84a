// Everything a bundle's manifest asks of this code, checked once when the bundle loads, so a
// value this code does not implement is refused with a message naming the field instead of
// being silently treated as another. Python counterpart: the __post_init__ checks of
// facepack/spec.py (DetectorSpec, CropRule, ImagePolicy, FaceGate, LiveSpec) and facepack.detect.check_package_settings.
import { NMS_METHODS } from './boxes.js';
import { checkCropRule } from './crop.js';

/** A manifest setting this code does not implement; code 'setting_unsupported' {field, value}. */
export class SettingsError extends Error {
  constructor(message, params = {}) {
    super(message);
    this.name = 'SettingsError';
    this.code = 'setting_unsupported';
    this.params = params;
  }
}

function expect(field, value, allowed) {
  if (!allowed.includes(value)) {
    throw new SettingsError(`${field} ${JSON.stringify(value)} is not supported (${allowed.join(' or ')})`, {
      field,
      value: String(value),
    });
  }
}

function positive(field, value, integer = false) {
  if (typeof value !== 'number' || !(value > 0) || (integer && !Number.isInteger(value))) {
    throw new SettingsError(`${field} must be a positive ${integer ? 'integer' : 'number'}, not ${JSON.stringify(value)}`, {
      field,
      value: String(value),
    });
  }
}

/** The manifest's `images` policy (facepack.spec.ImagePolicy). */
export function checkImagePolicy(images) {
  positive('images.max_pixels', images.max_pixels);
  expect('images.orientation', images.orientation, ['exif']);
  expect('images.color_profile', images.color_profile, ['ignored']);
  expect('images.channels', images.channels, ['RGB']);
}

/** The manifest's `detector` settings (facepack.spec.DetectorSpec). */
export function checkDetector(d) {
  expect('detector.pyramid_resize', d.pyramid_resize, ['area']);
  expect('detector.patch_resize', d.patch_resize, ['bilinear']);
  for (const stage of ['pnet', 'rnet', 'onet']) expect(`detector.nms_${stage}_method`, d[`nms_${stage}_method`], NMS_METHODS);
  for (const key of ['pnet_stride', 'pnet_window_end', 'min_size', 'min_face_size', 'rnet_size', 'onet_size', 'max_side']) {
    positive(`detector.${key}`, d[key], true);
  }
  if (!Number.isInteger(d.pnet_window_start) || d.pnet_window_start >= d.pnet_window_end) {
    throw new SettingsError(`detector.pnet_window_start ${d.pnet_window_start} must be an integer below pnet_window_end`, {
      field: 'detector.pnet_window_start',
      value: String(d.pnet_window_start),
    });
  }
  for (const key of ['scale_factor', 'pixel_divisor']) positive(`detector.${key}`, d[key]);
  if (!Number.isInteger(d.onet_refinements) || d.onet_refinements < 0) {
    throw new SettingsError(`detector.onet_refinements ${d.onet_refinements} must be an integer >= 0`, {
      field: 'detector.onet_refinements',
      value: String(d.onet_refinements),
    });
  }
  if (!(d.scale_factor < 1)) {
    throw new SettingsError(`detector.scale_factor ${d.scale_factor} must be below 1`, {
      field: 'detector.scale_factor',
      value: String(d.scale_factor),
    });
  }
}

/**
 * The manifest's `gate` (facepack.spec.FaceGate): which faces are scored. `partial`: a load
 * option, which may give either threshold alone.
 */
export function checkGate(gate, where = 'gate', partial = false) {
  if (!gate || typeof gate !== 'object') {
    throw new SettingsError(`${where} must be {min_confidence, min_refined_confidence}, not ${JSON.stringify(gate)}`, {
      field: where,
      value: String(gate),
    });
  }
  for (const key of ['min_confidence', 'min_refined_confidence']) {
    const value = gate[key];
    if (partial && value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new SettingsError(`${where}.${key} must be a number from 0 to 1, not ${JSON.stringify(value)}`, {
        field: `${where}.${key}`,
        value: String(value),
      });
    }
  }
  const unknown = Object.keys(gate).filter((key) => !['min_confidence', 'min_refined_confidence'].includes(key));
  if (unknown.length) {
    throw new SettingsError(`${where} has no setting ${unknown.join(', ')} (min_confidence, min_refined_confidence)`, {
      field: `${where}.${unknown[0]}`,
      value: String(gate[unknown[0]]),
    });
  }
}

/** The manifest's `live` settings (facepack.spec.LiveSpec). */
export function checkLive(live) {
  for (const key of ['keyframe_every', 'score_every']) positive(`live.${key}`, live[key], true);
  for (const [key, high] of [
    ['margin', 1],
    ['smoothing', 1],
    ['edge', 0.5],
  ]) {
    if (typeof live[key] !== 'number' || !(live[key] >= 0 && live[key] < high)) {
      throw new SettingsError(`live.${key} must be a number from 0 to below ${high}, not ${JSON.stringify(live[key])}`, {
        field: `live.${key}`,
        value: String(live[key]),
      });
    }
  }
}

/** Every rule of a manifest that analysis needs; throws SettingsError naming the first bad field. */
export function checkSettings(manifest) {
  checkImagePolicy(manifest.images);
  checkDetector(manifest.detector);
  checkGate(manifest.gate);
  checkLive(manifest.live);
  for (const name of ['scorer', 'emotion']) {
    const rule = manifest.models[name].crop;
    try {
      checkCropRule(rule, `models.${name}.crop`);
    } catch (err) {
      throw new SettingsError(err.message, { field: `models.${name}.crop`, value: JSON.stringify(rule) });
    }
  }
  const { score } = manifest.models.scorer;
  positive('models.scorer.score.num_classes', score.num_classes, true);
  const [low, high] = score.interval || [];
  if (!(low > 0 && low < high && high < 1)) {
    throw new SettingsError(`models.scorer.score.interval ${JSON.stringify(score.interval)} must be two quantiles 0 < low < high < 1`, {
      field: 'models.scorer.score.interval',
      value: JSON.stringify(score.interval),
    });
  }
}
