// The crop rule (manifest: models.<name>.crop): the square patch a scorer or emotion model
// sees, cut from the photo. Python counterpart: facepack/crop.py (the same numbers).
const tf = globalThis.tf;

/** Centre x, centre y and side of the square `rule` cuts around `face`, in pixels. */
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
    throw new Error(`unknown crop anchor ${rule.anchor}`);
  }
  return [cx, cy, Math.max(side, 1)];
}

// One bilinear crop, as TensorFlow's crop_and_resize kernel computes it (boxes are float32,
// coordinates y1 * (H - 1) + y * step; a sample outside the photo takes `fill`).
function cropOne(rgb, height, width, box, size, fill, out, offset) {
  const f = Math.fround;
  const [y1, x1, y2, x2] = box.map(f);
  const stepY = size > 1 ? ((y2 - y1) * (height - 1)) / (size - 1) : 0;
  const stepX = size > 1 ? ((x2 - x1) * (width - 1)) / (size - 1) : 0;
  for (let y = 0; y < size; y += 1) {
    const inY = size > 1 ? y1 * (height - 1) + y * stepY : 0.5 * (y1 + y2) * (height - 1);
    const rowAt = offset + y * size * 3;
    if (inY < 0 || inY > height - 1) {
      out.fill(fill, rowAt, rowAt + size * 3);
      continue;
    }
    const top = Math.floor(inY);
    const bottom = Math.ceil(inY);
    const dy = inY - top;
    for (let x = 0; x < size; x += 1) {
      const inX = size > 1 ? x1 * (width - 1) + x * stepX : 0.5 * (x1 + x2) * (width - 1);
      const at = rowAt + x * 3;
      if (inX < 0 || inX > width - 1) {
        out.fill(fill, at, at + 3);
        continue;
      }
      const left = Math.floor(inX);
      const right = Math.ceil(inX);
      const dx = inX - left;
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

/**
 * (n, S, S, 3) float32 tensor of the crops of `faces` from the photo's RGB bytes: bilinear,
 * coordinates normalised by (H - 1) and (W - 1), outside pixels = rule.fill. Cut in JavaScript
 * so a 50-megapixel photo is never uploaded as a float tensor (Python: tf.image.crop_and_resize).
 */
export function cropFaces({ rgb, width, height }, faces, rule) {
  if (rule.resize !== 'bilinear') throw new Error(`crop resize ${rule.resize} is not supported (bilinear only)`);
  const size = rule.output;
  const out = new Float32Array(faces.length * size * size * 3);
  faces.forEach((face, i) => {
    const [cx, cy, side] = cropSquare(face, rule);
    const half = side / 2;
    const box = [(cy - half) / (height - 1), (cx - half) / (width - 1), (cy + half) / (height - 1), (cx + half) / (width - 1)];
    cropOne(rgb, height, width, box, size, rule.fill, out, i * size * size * 3);
  });
  return tf.tensor4d(out, [faces.length, size, size, 3]);
}
