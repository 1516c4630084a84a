// {b64, name, runs=1} -> [{faces, width, height, timings}] of `runs` analyses of one photo file
// (decoded each time, as a page does); timings include `decode`.
export default async function analyze({ b64, name, runs = 1 }) {
  const { decodeImage } = await import('facepack');
  const bytes = fromBase64(b64);
  const out = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    const bitmap = await decodeImage(new Blob([bytes]), name);
    const decode = performance.now() - t0;
    const faces = await window.facepack.analyze(bitmap);
    out.push({
      faces,
      width: bitmap.width,
      height: bitmap.height,
      timings: { ...window.facepack.timings, decode, total: performance.now() - t0 },
    });
    bitmap.close();
  }
  return out;
}
