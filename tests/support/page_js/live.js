// {frames: [b64 RGB bytes], width, height, reset} -> [{keyframe, faces, ms}]: live mode on raw
// RGB frames; the tracker lives on in the page between calls unless `reset`.
export default async function live({ frames, width, height, reset }) {
  const { LiveTracker } = await import('facepack');
  if (reset || !window.liveTracker) window.liveTracker = new LiveTracker(window.facepack);
  const out = [];
  for (const b64 of frames) {
    const data = fromBase64(b64);
    const t0 = performance.now();
    const result = await window.liveTracker.step({ data, width, height });
    out.push({ ...result, ms: performance.now() - t0 });
  }
  return out;
}
