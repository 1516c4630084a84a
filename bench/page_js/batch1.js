// {runs} -> milliseconds of each of `runs` scorer passes on one random crop (after one warm-up).
export default async function batch1({ runs }) {
  const tf = await import('@tensorflow/tfjs');
  const size = window.facepack.manifest.models.scorer.input.shape[1];
  const crop = tf.randomUniform([1, size, size, 3], 0, 255, 'float32', 1);
  const times = [];
  for (let i = 0; i < runs + 1; i += 1) {
    const t = performance.now();
    await window.facepack.scoreCrops(crop);
    times.push(performance.now() - t);
  }
  crop.dispose();
  return times.slice(1);
}
