// Stage 1 of the MTCNN cascade: PNet over every pyramid level -> square proposals
// (mtcnn.stages.stage_pnet.StagePNet).
import { nms, sortByScore, square } from './boxes.js';
import { runModel } from './bundle.js';
import { pyramidScales, resizeArea, scaledSize } from './pyramid.js';

const tf = globalThis.tf;

// PNet sees 12x12 windows with a stride of 2. The package places window (x, y) of a level at
// [2x + 1, 2x + 12] (so its regression unit is 11 pixels, not 12): generate_bounding_box.
const STRIDE = 2;
const START = 1;
const END = 12;
const SIZE = END - START;

// Windows of one level whose face probability beats the threshold, in photo pixels,
// highest score first.
function proposals(prob, reg, outW, scale, threshold) {
  const found = [];
  const cells = prob.length / 2;
  for (let k = 0; k < cells; k += 1) {
    const score = prob[2 * k + 1];
    if (!(score > threshold)) continue;
    const y = Math.floor(k / outW) * STRIDE;
    const x = (k % outW) * STRIDE;
    const r = reg.subarray(4 * k, 4 * k + 4);
    found.push({
      x1: (x + START + r[0] * SIZE) / scale,
      y1: (y + START + r[1] * SIZE) / scale,
      x2: (x + END + r[2] * SIZE) / scale,
      y2: (y + END + r[3] * SIZE) / scale,
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
    perLevel.push(nms(proposals(prob, reg, outW, scale, detector.threshold_pnet),
      detector.nms_pnet_per_scale, 'union', false));
  }
  return square(nms(perLevel.flat(), detector.nms_pnet_across_scales, 'union', true));
}
