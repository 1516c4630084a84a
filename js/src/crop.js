// The crop rule (manifest: models.<name>.crop): the square patch a scorer or emotion model
// sees, cut from the photo, turned to level the eyes when the rule says rotate: 'eyes'.
// Python counterpart: facepack/crop.py (the same grid and arithmetic).
import * as tf from '@tensorflow/tfjs';

/** Angle of the line from the left eye to the right eye (landmarks 0 and 1), radians. */
export function eyeAngle(landmarks) {
  const [[lx, ly], [rx, ry]] = landmarks;
  return Math.atan2(ry - ly, rx - lx);
}

/** The square `rule` cuts around `face`: {cx, cy, side, angle} (facepack/crop.py crop_square). */
export function cropSquare(face, rule) {
  let cx;
  let cy;
  let side;
  if (rule.anchor === 'landmarks') {
    const [le, re, , ml, mr] = face.landmarks;
    const eyes = [(le[0] + re[0]) / 2, (le[1] + re[1]) / 2];
    const mouth = [(ml[0] + mr[0]) / 2, (ml[1] + mr[1]) / 2];
    cx = (eyes[0] + mouth[0]) / 2;
    cy = (eyes[1] + mouth[1]) / 2;
    side = rule.size * Math.hypot(mouth[0] - eyes[0], mouth[1] - eyes[1]);
  } else if (rule.anchor === 'box') {
    const [x1, y1, x2, y2] = face.box;
    cx = (x1 + x2) / 2;
    cy = (y1 + y2) / 2;
    side = rule.size * Math.max(x2 - x1, y2 - y1);
  } else {
    throw new Error(`crop.anchor ${rule.anchor} is not supported (landmarks or box)`);
  }
  return { cx, cy, side: Math.max(side, 1), angle: rule.rotate === 'eyes' ? eyeAngle(face.landmarks) : 0 };
}

/**
 * Bilinear samples of the RGB bytes on `square`'s size x size grid into `out` at `offset`
 * (facepack/crop.py sample_square, the same float64 arithmetic): corner samples on the
 * square's corners, x along the rotated axis, a sample outside the photo reads `fill`.
 */
export function sampleSquare(rgb, height, width, square, size, fill, out, offset) {
  const step = square.side / (size - 1);
  const cos = Math.cos(square.angle);
  const sin = Math.sin(square.angle);
  const half = (size - 1) / 2;
  for (let v = 0; v < size; v += 1) {
    const dv = (v - half) * step;
    for (let u = 0; u < size; u += 1) {
      const du = (u - half) * step;
      const x = square.cx + cos * du - sin * dv;
      const y = square.cy + sin * du + cos * dv;
      const at = offset + (v * size + u) * 3;
      if (!(x >= 0 && x <= width - 1 && y >= 0 && y <= height - 1)) {
        out.fill(fill, at, at + 3);
        continue;
      }
      const left = Math.floor(x);
      const right = Math.ceil(x);
      const top = Math.floor(y);
      const bottom = Math.ceil(y);
      const dx = x - left;
      const dy = y - top;
      for (let c = 0; c < 3; c += 1) {
        const tl = rgb[(top * width + left) * 3 + c];
        const tr = rgb[(top * width + right) * 3 + c];
        const bl = rgb[(bottom * width + left) * 3 + c];
        const br = rgb[(bottom * width + right) * 3 + c];
        const upper = tl + (tr - tl) * dx;
        const lower = bl + (br - bl) * dx;
        out[at + c] = upper + (lower - upper) * dy;
      }
    }
  }
}

/** Throw a clear error for a crop rule this code does not implement (manifest models.<name>.crop). */
export function checkCropRule(rule, where = 'crop') {
  if (rule.resize !== 'bilinear') throw new Error(`${where}.resize ${rule.resize} is not supported (bilinear only)`);
  if (!['none', 'eyes'].includes(rule.rotate)) throw new Error(`${where}.rotate ${rule.rotate} is not supported (none or eyes)`);
  if (!['landmarks', 'box'].includes(rule.anchor)) throw new Error(`${where}.anchor ${rule.anchor} is not supported (landmarks or box)`);
  if (!(rule.size > 0) || !Number.isInteger(rule.output) || rule.output < 2)
    throw new Error(`${where} needs size > 0 and an integer output >= 2`);
}

/**
 * (n, S, S, 3) float32 pixels of the crops of `faces` from the photo's RGB bytes, by `rule`.
 * Cut in JavaScript so a 50-megapixel photo is never uploaded as a float tensor.
 * @returns {Float32Array}
 */
export function cropPixels({ rgb, width, height }, faces, rule) {
  const size = rule.output;
  const out = new Float32Array(faces.length * size * size * 3);
  faces.forEach((face, i) => sampleSquare(rgb, height, width, cropSquare(face, rule), size, rule.fill, out, i * size * size * 3));
  return out;
}

/** The crops as a (n, S, S, 3) tensor. */
export function cropFaces(pixels, faces, rule) {
  return tf.tensor4d(cropPixels(pixels, faces, rule), [faces.length, rule.output, rule.output, 3]);
}
