// Patches for RNet and ONet: boxes cut from the normalised photo and resized bilinearly
// (mtcnn.utils.images.extract_patches). Used by rnet.js and onet.js.
import * as tf from '@tensorflow/tfjs';

import { patchBoxes } from './boxes.js';

/** (n, size, size, 3) patches of `boxes` from the (H, W, 3) normalised photo tensor. */
export function patches(normalized, boxes, size) {
  const [height, width] = normalized.shape;
  return tf.tidy(() =>
    tf.image.cropAndResize(
      normalized.expandDims(0),
      tf.tensor2d(patchBoxes(boxes, height, width), [boxes.length, 4]),
      tf.zeros([boxes.length], 'int32'),
      [size, size],
      'bilinear',
      0,
    ),
  );
}
