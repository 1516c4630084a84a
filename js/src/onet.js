// Stage 3 of the MTCNN cascade: ONet's final boxes, scores and 5 landmarks
// (mtcnn.stages.stage_onet.StageONet), and the refinement passes after it
// (facepack.detect._refine_with_onet).
import * as tf from '@tensorflow/tfjs';

import { nms, regress, square } from './boxes.js';
import { runModel } from './bundle.js';
import { patches } from './patches.js';

/** ONet on `boxes`: each box regressed, with its face probability and 5 landmarks. */
async function onet(normalized, boxes, model, entry, detector) {
  const out = tf.tidy(() => runModel(model, entry, patches(normalized, boxes, detector.onet_size)));
  const [prob, reg, marks] = await Promise.all([out.probability.data(), out.regression.data(), out.landmarks.data()]);
  tf.dispose(Object.values(out));
  return boxes.map((box, i) => {
    // Landmarks come as 5 x then 5 y in units of the input box, offset by one pixel
    // (mtcnn.utils.landmarks.adjust_landmarks).
    const w = box.x2 - box.x1 + 1;
    const h = box.y2 - box.y1 + 1;
    const m = marks.subarray(10 * i, 10 * i + 10);
    const landmarks = [0, 1, 2, 3, 4].map((k) => [w * m[k] + box.x1 - 1, h * m[5 + k] + box.y1 - 1]);
    return { ...regress({ ...box, score: prob[2 * i + 1] }, reg.subarray(4 * i, 4 * i + 4)), landmarks };
  });
}

/** @returns {Promise<object[]>} boxes with `landmarks` [[x, y] x 5], highest score first */
export async function runONet(normalized, boxes, model, entry, detector) {
  if (boxes.length === 0) return [];
  const kept = (await onet(normalized, boxes, model, entry, detector)).filter((box) => box.score > detector.threshold_onet);
  return nms(kept, detector.nms_onet, detector.nms_onet_method, true);
}

/**
 * One more ONet pass over the cascade's faces, each on its last box squared: new boxes and
 * landmarks, the same faces and scores (no threshold, no NMS), and this pass's face probability
 * as `refinedScore` (Python: Face.refined_confidence). The manifest's detector.onet_refinements
 * says how many passes follow the cascade.
 */
export async function refineWithONet(normalized, faces, model, entry, detector) {
  if (faces.length === 0) return faces;
  const refined = await onet(normalized, square(faces), model, entry, detector);
  return refined.map((box, i) => ({ ...box, score: faces[i].score, refinedScore: box.score }));
}
