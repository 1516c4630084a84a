// Everything a bundle's manifest asks of this code, checked once when the bundle loads, so a
// value this code does not implement is refused with a message naming the field instead of
// being silently treated as another. Every section is checked. Python counterpart:
// facepack/manifest.py (Manifest.from_json, whose sections are the dataclasses of
// facepack/spec.py with their __post_init__ checks) and facepack.detect.check_package_settings.
import { NMS_METHODS } from './boxes.js';
import { checkCropRule } from './crop.js';
import { RESULT_FIELDS } from './results.js';

// The manifest's top-level fields (facepack.manifest.Manifest); a field this code does not know
// belongs to a newer version of the format, which would have said so.
const MANIFEST_FIELDS = [
  'schema',
  'version',
  'created_utc',
  'generator',
  'quantization',
  'models',
  'checks',
  'images',
  'results',
  'detector',
  'live',
  'gate',
  'gate_report',
  'files',
];
const ROLES = ['detector', 'scorer', 'emotion'];
const QUANTIZATIONS = ['source', 'none', 'float16', 'uint8'];

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
  positive('images.max_pixels', images.max_pixels, true);
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

function refuse(field, value, why) {
  throw new SettingsError(`${field} ${JSON.stringify(value)} ${why}`, { field, value: JSON.stringify(value) });
}

/** A model entry's `input` (facepack.manifest.ModelInput): NHWC RGB, normalised outside the graph or in it. */
export function checkModelInput(input, where) {
  if (!input || typeof input !== 'object') refuse(where, input, 'must be an object');
  expect(`${where}.channel_order`, input.channel_order, ['RGB']);
  const { shape } = input;
  if (!Array.isArray(shape) || shape.length !== 4 || shape[3] !== 3) refuse(`${where}.shape`, shape, 'is not NHWC with 3 channels');
  expect(`${where}.normalization`, input.normalization, ['outside_graph', 'in_graph']);
  if (input.normalization === 'outside_graph') {
    if (typeof input.pixel_offset !== 'number') refuse(`${where}.pixel_offset`, input.pixel_offset, 'must be a number');
    positive(`${where}.pixel_divisor`, input.pixel_divisor);
  } else if (!Array.isArray(input.value_range) || input.value_range[0] !== 0 || input.value_range[1] !== 255) {
    refuse(`${where}.value_range`, input.value_range, 'is not supported ([0, 255]: RGB pixels as they are)');
  }
}

/** The manifest's `results` (facepack.manifest.Results): columns results.js fills, with their decimals. */
export function checkResults(results) {
  const columns = results?.csv;
  if (!Array.isArray(columns) || !columns.length) refuse('results.csv', columns, 'must be a list of [name, decimals] columns');
  for (const column of columns) {
    if (!Array.isArray(column) || column.length !== 2) refuse('results.csv', column, 'is not a [name, decimals] column');
    const [name, decimals] = column;
    if (!RESULT_FIELDS.includes(name)) refuse('results.csv', name, `is not a column this facepack writes (${RESULT_FIELDS.join(', ')})`);
    if (decimals !== null && !(Number.isInteger(decimals) && decimals >= 0 && decimals <= 20)) {
      refuse(`results.csv.${name}`, decimals, 'must be null or a number of decimals from 0 to 20');
    }
  }
}

/** The manifest's `checks` (facepack.manifest.Checks): a tolerance for every model's weight storage. */
export function checkChecks(checks, models) {
  if (!checks || typeof checks !== 'object') refuse('checks', checks, 'must be an object');
  positive('checks.webgl_max_diff', checks.webgl_max_diff);
  for (const entry of Object.values(models)) {
    const tolerance = checks.tolerances?.[entry.quantization];
    if (!tolerance) refuse('checks.tolerances', entry.quantization, 'has no tolerance for this weight storage');
    for (const key of ['max_diff', 'score_points']) positive(`checks.tolerances.${entry.quantization}.${key}`, tolerance[key]);
  }
}

/** Every model entry (facepack.manifest.ModelEntry): role, weight storage, input rule, outputs by node. */
export function checkModels(models) {
  if (!models || typeof models !== 'object') refuse('models', models, 'must be an object');
  for (const [name, entry] of Object.entries(models)) {
    const where = `models.${name}`;
    expect(`${where}.role`, entry.role, ROLES);
    expect(`${where}.quantization`, entry.quantization, QUANTIZATIONS);
    checkModelInput(entry.input, `${where}.input`);
    const nodes = entry.output_nodes || {};
    const outputs = Array.isArray(entry.outputs) ? entry.outputs : [];
    if (!outputs.length || outputs.some((output) => typeof nodes[output] !== 'string') || Object.keys(nodes).length !== outputs.length) {
      refuse(`${where}.output_nodes`, nodes, `must name a graph node for each output (${outputs}), and only those`);
    }
  }
}

/** Every rule of a manifest that analysis needs; throws SettingsError naming the first bad field. */
export function checkSettings(manifest) {
  const unknown = Object.keys(manifest).filter((key) => !MANIFEST_FIELDS.includes(key));
  if (unknown.length) refuse(unknown[0], manifest[unknown[0]], `is not a field this facepack reads (${MANIFEST_FIELDS.join(', ')})`);
  checkModels(manifest.models);
  checkChecks(manifest.checks, manifest.models);
  checkResults(manifest.results);
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
  const { labels } = manifest.models.emotion;
  if (!Array.isArray(labels) || !labels.length || labels.some((l) => typeof l !== 'string')) {
    refuse('models.emotion.labels', labels, 'must be a list of class names');
  }
  const { score } = manifest.models.scorer;
  positive('models.scorer.score.num_classes', score.num_classes, true);
  positive('models.scorer.score.points_per_rating', score.points_per_rating);
  const [low, high] = Array.isArray(score.interval) && score.interval.length === 2 ? score.interval : [];
  if (!(low > 0 && low < high && high < 1)) {
    throw new SettingsError(`models.scorer.score.interval ${JSON.stringify(score.interval)} must be two quantiles 0 < low < high < 1`, {
      field: 'models.scorer.score.interval',
      value: JSON.stringify(score.interval),
    });
  }
}
