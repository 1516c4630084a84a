// {frames: [b64 RGB bytes], width, height, reset} -> [{keyframe, faces, ms}]: live mode on raw
// RGB frames; the tracker lives on in the page between calls unless `reset`. With a
// FacepackWorker (?worker=1) the tracker lives in its worker (liveStep).
export default async function live({ frames, width, height, reset }) {
  const { LiveTracker } = await import('facepack');
  const fp = window.facepack;
  let step;
  if (fp.liveStep) {
    if (reset) await fp.liveReset();
    step = (frame) => fp.liveStep(frame);
  } else {
    if (reset || !window.liveTracker) window.liveTracker = new LiveTracker(fp);
    step = (frame) => window.liveTracker.step(frame);
  }
  const out = [];
  for (const b64 of frames) {
    const data = fromBase64(b64);
    const t0 = performance.now();
    const result = await step({ data, width, height });
    out.push({ ...result, ms: performance.now() - t0 });
  }
  return out;
}
