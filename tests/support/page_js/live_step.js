// {frames: [base64 RGB], width, height, boxes: [null | [[x1, y1, x2, y2], ...]]} -> per frame the
// faces (with score and emotion) of the full cascade (null) or of RNet and ONet alone on the given
// boxes: one live-mode step with its input fixed, as facepack.track.Tracker feeds Detector.refine.
export default async function liveStep({ frames, width, height, boxes }) {
  const { rgbPixels } = await import('facepack');
  const fp = window.facepack;
  const out = [];
  for (const [i, b64] of frames.entries()) {
    const data = fromBase64(b64);
    const pixels = rgbPixels({ data, width, height }, fp.manifest.images);
    const faces = boxes[i] === null ? await fp.detectPixels(pixels) : await fp.refinePixels(pixels, boxes[i]);
    out.push(await fp.results(pixels, faces));
  }
  return out;
}
