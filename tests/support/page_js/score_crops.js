// {b64: float32 crops, shape: [n, h, w, 3]} -> the scorer's output on exactly these crops.
export default async function scoreCrops({ b64, shape }) {
  const tf = await import('@tensorflow/tfjs');
  const bytes = fromBase64(b64);
  const crops = tf.tensor4d(new Float32Array(bytes.buffer), shape);
  try {
    return await window.facepack.scoreCrops(crops);
  } finally {
    crops.dispose();
  }
}
