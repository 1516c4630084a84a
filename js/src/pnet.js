// Stage 1 of the MTCNN cascade: PNet over every pyramid level -> square proposals
// (mtcnn.stages.stage_pnet.StagePNet).
import * as tf from '@tensorflow/tfjs';

import { nms, sortByScore, square } from './boxes.js';
import { runModel } from './bundle.js';
import { pyramidScales, resizeArea, scaledSize } from './pyramid.js';

/**
 * Windows of one level whose face probability beats the threshold, in photo pixels, highest
 * score first. Output cell (x, y) stands for the window [stride * x + start, stride * x + end]
 * (manifest detector.pnet_*; the package's generate_bounding_box), so the box regression is in
 * units of end - start (11 pixels, not 12).
 */
export function proposals(prob, reg, outW, scale, detector) {
  const { pnet_stride: stride, pnet_window_start: start, pnet_window_end: end } = detector;
  const unit = end - start;
  const found = [];
  const cells = prob.length / 2;
  for (let k = 0; k < cells; k += 1) {
    const score = prob[2 * k + 1];
    if (!(score > detector.threshold_pnet)) continue;
    const y = Math.floor(k / outW) * stride;
    const x = (k % outW) * stride;
    const r = reg.subarray(4 * k, 4 * k + 4);
    found.push({
      x1: (x + start + r[0] * unit) / scale,
      y1: (y + start + r[1] * unit) / scale,
      x2: (x + end + r[2] * unit) / scale,
      y2: (y + end + r[3] * unit) / scale,
      score,
    });
  }
  return sortByScore(found);
}

/**
 * @param {Float32Array} normalized the photo as (H, W, 3) values (pixel - offset) / divisor
 * @returns {Promise<object[]>} square candidate boxes for RNet
 */
export async function runPNet(normalized, height, width, model, entry, detector) {
  const perLevel = [];
  for (const scale of pyramidScales(width, height, detector)) {
    const [h, w] = scaledSize(height, width, scale);
    const level = resizeArea(normalized, height, width, 3, h, w);
    const out = tf.tidy(() => runModel(model, entry, tf.tensor4d(level, [1, h, w, 3])));
    const [prob, reg] = await Promise.all([out.probability.data(), out.regression.data()]);
    const outW = out.probability.shape[2];
    tf.dispose(Object.values(out));
    perLevel.push(nms(proposals(prob, reg, outW, scale, detector), detector.nms_pnet_per_scale, detector.nms_pnet_method, false));
  }
  return square(nms(perLevel.flat(), detector.nms_pnet_across_scales, detector.nms_pnet_method, true));
}
