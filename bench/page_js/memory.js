// {b64, repeats} -> peak bytes and new tensors of one analysis (tf.profile), and the tensor
// count after each of `repeats` more.
export default async function memory({ b64, repeats }) {
  const { decodeImage } = await import('facepack');
  const tf = await import('@tensorflow/tfjs');
  const bitmap = await decodeImage(new Blob([fromBase64(b64)]));
  const info = await tf.profile(() => window.facepack.analyze(bitmap));
  const counts = [];
  for (let i = 0; i < repeats; i += 1) {
    await window.facepack.analyze(bitmap);
    counts.push(tf.memory().numTensors);
  }
  return { peak_bytes: info.peakBytes, new_tensors: info.newTensors, num_tensors: counts };
}
