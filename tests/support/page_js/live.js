// {frames: [b64 RGB bytes], width, height, reset} -> [{keyframe, faces, ms}]: live mode on raw
// RGB frames; the tracker lives on in the page between calls unless `reset`. With a
// FacepackWorker (the page by default) the tracker lives in its worker (liveStep).
// {frames, keep: true} decodes the frames and adds them to the page's store without running
// them; with no `frames`, the stored frames run in order, `repeat` times (the transfer once).
export default async function live({ frames, width, height, reset, keep = false, repeat = 1 }) {
  const decoded = frames ? frames.map(fromBase64) : window.liveFrames;
  if (keep) {
    window.liveFrames = (window.liveFrames || []).concat(decoded);
    return [];
  }
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
  for (let pass = 0; pass < repeat; pass += 1) {
    for (const data of decoded) {
      const t0 = performance.now();
      const result = await step({ data, width, height });
      out.push({ ...result, ms: performance.now() - t0 });
    }
  }
  return out;
}
