// () -> the page's first analysis of sample1 right after it got ready: when it got ready, when
// the first result came, and the load and stage timings.
export default async function coldStart() {
  const ready = performance.now();
  const { decodeImage } = await import('facepack');
  const t0 = performance.now();
  const blob = await (await fetch('samples/sample1.jpg')).blob();
  const bitmap = await decodeImage(blob);
  const faces = await window.facepack.analyze(bitmap);
  return {
    ready_ms: ready,
    first_result_ms: performance.now(),
    photo_ms: performance.now() - t0,
    load: window.facepack.loadTimings,
    first: window.facepack.timings,
    faces: faces.length,
    wasm: window.facepack.wasm,
    backend: window.facepack.backend,
  };
}
