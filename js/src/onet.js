// Stage 3 of the MTCNN cascade: ONet's final boxes, scores and 5 landmarks
// (mtcnn.stages.stage_onet.StageONet).
import * as tf from '@tensorflow/tfjs';

import { nms, regress } from './boxes.js';
import { runModel } from './bundle.js';
import { patches } from './patches.js';

/** @returns {Promise<object[]>} boxes with `landmarks` [[x, y] x 5], highest score first */
export async function runONet(normalized, boxes, model, entry, detector) {
  if (boxes.length === 0) return [];
  const out = tf.tidy(() => runModel(model, entry, patches(normalized, boxes, detector.onet_size)));
  const [prob, reg, marks] = await Promise.all([out.probability.data(), out.regression.data(), out.landmarks.data()]);
  tf.dispose(Object.values(out));
  const kept = boxes
    .map((box, i) => {
      // Landmarks come as 5 x then 5 y in units of the input box, offset by one pixel
      // (mtcnn.utils.landmarks.adjust_landmarks).
      const w = box.x2 - box.x1 + 1;
      const h = box.y2 - box.y1 + 1;
      const m = marks.subarray(10 * i, 10 * i + 10);
      const landmarks = [0, 1, 2, 3, 4].map((k) => [w * m[k] + box.x1 - 1, h * m[5 + k] + box.y1 - 1]);
      return { ...regress({ ...box, score: prob[2 * i + 1] }, reg.subarray(4 * i, 4 * i + 4)), landmarks };
    })
    .filter((box) => box.score > detector.threshold_onet);
  return nms(kept, detector.nms_onet, detector.nms_onet_method, true);
}
