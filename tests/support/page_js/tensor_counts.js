// {b64, runs} -> TF.js's tensor count after each of `runs` analyses of one photo with one face.
export default async function tensorCounts({ b64, runs }) {
  const { decodeImage } = await import('facepack');
  const tf = await import('@tensorflow/tfjs');
  const bitmap = await decodeImage(new Blob([fromBase64(b64)]));
  const counts = [];
  for (let i = 0; i < runs; i += 1) {
    const faces = await window.facepack.analyze(bitmap);
    if (faces.length !== 1) throw new Error(`run ${i}: ${faces.length} faces`);
    counts.push(tf.memory().numTensors);
  }
  return counts;
}
