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

/**
 * (n, S, S, 3) float crops of `faces` from `image` (H, W, 3) RGB 0..255: bilinear
 * cropAndResize, coordinates normalised by (H - 1) and (W - 1), outside pixels = rule.fill.
 */
export function cropFaces(image, faces, rule) {
  const [height, width] = image.shape;
  const boxes = faces.flatMap((face) => {
    const [cx, cy, side] = cropSquare(face, rule);
    const half = side / 2;
    return [(cy - half) / (height - 1), (cx - half) / (width - 1), (cy + half) / (height - 1), (cx + half) / (width - 1)];
  });
  return tf.tidy(() => tf.image.cropAndResize(
    image.expandDims(0), tf.tensor2d(boxes, [faces.length, 4]), tf.zeros([faces.length], 'int32'),
    [rule.output, rule.output], rule.resize, rule.fill,
  ));
}
