// Stage 2 of the MTCNN cascade: RNet re-scores and refines PNet's proposals
// (mtcnn.stages.stage_rnet.StageRNet).
import * as tf from '@tensorflow/tfjs';

import { nms, regress, square } from './boxes.js';
import { runModel } from './bundle.js';
import { patches } from './patches.js';

/** @returns {Promise<object[]>} square boxes for ONet */
export async function runRNet(normalized, boxes, model, entry, detector) {
  if (boxes.length === 0) return [];
  const out = tf.tidy(() => runModel(model, entry, patches(normalized, boxes, detector.rnet_size)));
  const [prob, reg] = await Promise.all([out.probability.data(), out.regression.data()]);
  tf.dispose(Object.values(out));
  const kept = boxes
    .map((box, i) => regress({ ...box, score: prob[2 * i + 1] }, reg.subarray(4 * i, 4 * i + 4)))
    .filter((box) => box.score > detector.threshold_rnet);
  return square(nms(kept, detector.nms_rnet, detector.nms_rnet_method, true));
}
