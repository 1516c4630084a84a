// Compiled (never run) against js/index.d.ts by `npm run typecheck`: the README's examples type-check.
import {
  Facepack,
  LiveTracker,
  photoRecord,
  readPhoto,
  resultsCsv,
  summary,
  urlSource,
  type AnalyzedFace,
  type BundleSource,
} from 'facepack';

async function inNode(): Promise<number> {
  const fp = await Facepack.load('bundle', { backend: 'wasm', minFaceConfidence: 0.9 });
  const faces: AnalyzedFace[] = await fp.analyze(await readPhoto('photo.jpg', fp.manifest.images));
  fp.dispose();
  const score = faces.length ? faces[0].score : null; // null: below the gate, unscored
  return score ? score.expected + faces[0].landmarks[0][0] + fp.gate.min_confidence : fp.timings.total;
}

async function inBrowser(img: HTMLImageElement): Promise<string[]> {
  const source: BundleSource = urlSource('/bundle/');
  const fp = await Facepack.load(source, { backend: 'auto', onProgress: (done, total) => console.log(done / total) });
  return (await fp.analyze(img)).map((face) => (face.emotion ? face.emotion.label : `not scored: ${face.unscored}`));
}

async function live(fp: Facepack, video: HTMLVideoElement): Promise<number[]> {
  const tracker = new LiveTracker(fp);
  const frame = await tracker.step(video);
  return frame.faces.map((face) => face.id + (face.shown.score ?? 0) + (frame.keyframe ? 1 : 0));
}

async function table(fp: Facepack, file: string): Promise<string> {
  const pixels = await readPhoto(file, fp.manifest.images);
  const record = photoRecord(file, pixels.width, pixels.height, await fp.analyze(pixels));
  console.log(summary(record));
  return resultsCsv([record], fp.manifest.results.csv);
}

export { inBrowser, inNode, live, table };
