// Box arithmetic of the MTCNN cascade, as the `mtcnn` package does it (mtcnn.utils.bboxes).
// A box is {x1, y1, x2, y2, score, ...}; coordinates are photo pixels.

/**
 * Sort by score, highest first: the package's np.argsort(scores)[::-1]. Equal scores end up
 * in reverse input order (a stable ascending sort, reversed).
 */
export function sortByScore(boxes) {
  return boxes
    .map((b, i) => [b, i])
    .sort((p, q) => q[0].score - p[0].score || q[1] - p[1])
    .map((p) => p[0]);
}

function overlap(a, b, method) {
  const w = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const h = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = w * h;
  const areaA = (a.x2 - a.x1) * (a.y2 - a.y1);
  const areaB = (b.x2 - b.x1) * (b.y2 - b.y1);
  return method === 'min' ? inter / Math.min(areaA, areaB) : inter / (areaA + areaB - inter);
}

export const NMS_METHODS = ['union', 'min'];

/**
 * The package's NMS (mtcnn.utils.bboxes.nms), which is not the greedy textbook one: box j is
 * dropped when ANY earlier box overlaps it by more than `threshold`, even an earlier box that
 * was itself dropped. `method`: 'union' (IoU) or 'min' (intersection over the smaller area),
 * from the manifest (detector.nms_<stage>_method).
 */
export function nms(boxes, threshold, method, sort = true) {
  if (!NMS_METHODS.includes(method)) throw new Error(`NMS method ${method} is not supported (${NMS_METHODS.join(' or ')})`);
  const ordered = sort ? sortByScore(boxes) : boxes;
  return ordered.filter((box, j) => {
    for (let i = 0; i < j; i += 1) if (overlap(ordered[i], box, method) > threshold) return false;
    return true;
  });
}

/** Grow each box to a square around its centre (mtcnn.utils.bboxes.resize_to_square). */
export function square(boxes) {
  return boxes.map((b) => {
    const w = b.x2 - b.x1;
    const h = b.y2 - b.y1;
    const side = Math.max(w, h);
    const x1 = b.x1 + w * 0.5 - side * 0.5;
    const y1 = b.y1 + h * 0.5 - side * 0.5;
    return { ...b, x1, y1, x2: x1 + side, y2: y1 + side };
  });
}

/** Apply a net's box regression, in units of the box's size + 1 (adjust_bboxes). */
export function regress(box, offsets) {
  const w = box.x2 - box.x1 + 1;
  const h = box.y2 - box.y1 + 1;
  return { ...box, x1: box.x1 + offsets[0] * w, y1: box.y1 + offsets[1] * h, x2: box.x2 + offsets[2] * w, y2: box.y2 + offsets[3] * h };
}

/** Clip a box to the photo, as the package does before returning (limit_bboxes). */
export function clip(box, width, height) {
  const cx = (v) => Math.min(Math.max(v, 0), width - 1);
  const cy = (v) => Math.min(Math.max(v, 0), height - 1);
  return { ...box, x1: cx(box.x1), y1: cy(box.y1), x2: cx(box.x2), y2: cy(box.y2) };
}

/**
 * Normalised [y1, x1, y2, x2] rows for tf.image.cropAndResize, divided by the photo's height
 * and width as the package's extract_patches does (not by H - 1).
 */
export function patchBoxes(boxes, height, width) {
  return boxes.flatMap((b) => [b.y1 / height, b.x1 / width, b.y2 / height, b.x2 / width]);
}
