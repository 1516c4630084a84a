// facepack: the one public API, the same in the browser and in Node.
//
//   const fp = await Facepack.load(source, { backend: 'auto' });   // 'webgpu', 'webgl', 'wasm', 'cpu'
//   const faces = await fp.analyze(imageOrCanvasOrVideoOrPixels);
//   // [{box: [x1, y1, x2, y2], landmarks: [[x, y] x 5], confidence, refined_confidence,
//   //   score: {expected, argmax, probs, interval, percentile}, emotion: {label, probs}, unscored: null}],
//   highest confidence first (score.js says what the score fields mean). A face below the gate
//   (manifest `gate`, facepack.spec.FaceGate) may not be a face: it is listed with score and
//   emotion null and `unscored` giving the reason ('low_confidence').
//   fp.timings      // milliseconds per stage of the last analyze()
//   fp.loadTimings  // ms: backend start, manifest, fetch + sha256 (these overlap), model load, total
//
// `source` is a bundle URL (browser), a folder (the Node entry), or any {read(path)} object.
// Every constant (detector settings, crop rules, score mapping, labels) comes from the
// bundle's manifest (checked by settings.js). Stages: pyramid.js + pnet.js, rnet.js, onet.js
// (the MTCNN cascade, boxes.js), crop.js (crop rules), then the scorer and emotion graphs,
// batched over faces. Python counterpart: facepack/pipeline.py (ReferencePipeline).
import * as tf from '@tensorflow/tfjs';

import { startBackend } from './backend.js';
import { clip } from './boxes.js';
import { BundleError, fetchVerified, loadManifest, loadModel, runModel, urlSource } from './bundle.js';
import { cropFaces } from './crop.js';
import { rgbPixels } from './image.js';
import { refineWithONet, runONet } from './onet.js';
import { runPNet } from './pnet.js';
import { resizeArea } from './pyramid.js';
import { runRNet } from './rnet.js';
import { argmax, scoreSummary } from './score.js';
import { checkGate, checkSettings } from './settings.js';

const MODELS = ['pnet', 'rnet', 'onet', 'scorer', 'emotion'];

/** (h, w) the cascade runs at: longer side at most maxSide (Python: facepack.detect.detection_size). */
export function detectionSize(height, width, maxSide) {
  if (Math.max(height, width) <= maxSide) return [height, width];
  if (height >= width) return [maxSide, Math.max(1, Math.floor((width * maxSide) / height + 0.5))];
  return [Math.max(1, Math.floor((height * maxSide) / width + 0.5)), maxSide];
}

function rows(flat, width) {
  return Array.from({ length: flat.length / width }, (_, i) => Array.from(flat.subarray(i * width, (i + 1) * width)));
}

export class Facepack {
  constructor(manifest, models, started, loadTimings, gate = {}) {
    this.manifest = manifest;
    // Which faces are scored: the manifest's gate, with any threshold load() was given instead
    // (a key given as undefined keeps the manifest's).
    const given = Object.fromEntries(Object.entries(gate).filter(([, value]) => value !== undefined));
    this.gate = { ...manifest.gate, ...given };
    this.models = models;
    this.backend = started.backend; // the backend actually running
    this.backendReason = started.reason; // why: 'asked for', or what 'auto' saw
    this.fallbacks = started.failed; // [{backend, error}] that failed to start before it
    this.wasm = started.wasm; // {threads, simd} on wasm
    this.loadTimings = loadTimings;
    this.timings = {};
  }

  /**
   * Start a backend ('auto' = webgpu, else webgl, on a hardware GPU, else wasm; falls back
   * webgl -> wasm -> cpu), read the bundle from `source`, check every file against the manifest's sha256 and
   * every setting against what this code implements, and load the five graph models.
   * @param {string | {read(path: string): Promise<Uint8Array>}} source a bundle URL, or a source
   * @param {object} [options] backend, wasmPaths, wasmThreads, onProgress(done, total),
   *   gate ({min_confidence, min_refined_confidence}, either or both, 0-1: the thresholds a face
   *   must reach to be scored, instead of the manifest's gate)
   */
  static async load(source = '/bundle/', { backend = 'auto', wasmPaths, wasmThreads = true, onProgress = () => {}, gate } = {}) {
    if (gate !== undefined) checkGate(gate, 'options.gate', true);
    const bundle = typeof source === 'string' ? urlSource(source) : source;
    // The backend starts (WASM compiles its binary) while the bundle downloads and is checked.
    const timings = {};
    const since = (t) => performance.now() - t;
    const t0 = performance.now();
    const starting = startBackend(backend, { wasmPaths, wasmThreads }).then((started) => {
      timings.backend = since(t0);
      return started;
    });
    const fetching = (async () => {
      const manifest = await loadManifest(bundle);
      const missing = MODELS.filter((name) => !manifest.models[name]);
      if (missing.length) {
        const models = missing.join(', ');
        throw new BundleError(`the bundle has no ${models} model (export it without --only)`, 'bundle_models_missing', { models });
      }
      checkSettings(manifest);
      timings.manifest = since(t0);
      const files = await fetchVerified(bundle, manifest, onProgress);
      timings.fetch = since(t0) - timings.manifest;
      return { manifest, files };
    })();
    const [started, { manifest, files }] = await Promise.all([starting, fetching]);
    const t1 = performance.now();
    const models = {};
    for (const name of MODELS) models[name] = await loadModel(manifest.models[name], files);
    timings.models = since(t1);
    timings.total = since(t0);
    return new Facepack(manifest, models, started, timings, gate);
  }

  run(name, x) {
    return runModel(this.models[name], this.manifest.models[name], x);
  }

  /** Faces found by the MTCNN cascade: [{box, landmarks, confidence}], highest confidence first. */
  async detect(source) {
    return this.detectPixels(rgbPixels(source, this.manifest.images));
  }

  /** The cascade on {rgb, width, height}. */
  async detectPixels(pixels) {
    return this.cascade(pixels, null);
  }

  /**
   * RNet and ONet alone on candidate boxes ([x1, y1, x2, y2] in photo pixels), as the cascade
   * runs them on PNet's proposals: what live mode runs between keyframes (Python:
   * facepack.detect.Detector.refine).
   */
  async refinePixels(pixels, boxes) {
    return boxes.length ? this.cascade(pixels, boxes) : [];
  }

  async cascade({ rgb, width, height }, candidates) {
    const d = this.manifest.detector;
    // A photo over max_side is detected on an AREA-downscaled copy (facepack/detect.py).
    const [h, w] = detectionSize(height, width, d.max_side);
    const sx = width / w;
    const sy = height / h;
    const values = h === height && w === width ? Float32Array.from(rgb) : resizeArea(rgb, height, width, 3, h, w);
    // The nets see (pixel - offset) / divisor: PNet on pyramid levels computed in JavaScript,
    // RNet and ONet on patches cut from this tensor.
    for (let i = 0; i < values.length; i += 1) values[i] = (values[i] - d.pixel_offset) / d.pixel_divisor;
    const normalized = tf.tensor3d(values, [h, w, 3]);
    try {
      let t = performance.now();
      const proposals = candidates
        ? candidates.map(([x1, y1, x2, y2]) => ({ x1: x1 / sx, y1: y1 / sy, x2: x2 / sx, y2: y2 / sy, score: 1 }))
        : await runPNet(values, h, w, this.models.pnet, this.manifest.models.pnet, d);
      this.timings.pnet = candidates ? 0 : performance.now() - t;
      t = performance.now();
      const refined = await runRNet(normalized, proposals, this.models.rnet, this.manifest.models.rnet, d);
      this.timings.rnet = performance.now() - t;
      t = performance.now();
      let final = await runONet(normalized, refined, this.models.onet, this.manifest.models.onet, d);
      for (let pass = 0; pass < d.onet_refinements; pass += 1) {
        final = await refineWithONet(normalized, final, this.models.onet, this.manifest.models.onet, d);
      }
      this.timings.onet = performance.now() - t;
      this.timings.candidates = { pnet: proposals.length, rnet: refined.length, onet: final.length };
      return final
        .map((b) => clip(b, w, h))
        .map((b) => ({
          box: [b.x1 * sx, b.y1 * sy, b.x2 * sx, b.y2 * sy],
          landmarks: b.landmarks.map(([x, y]) => [x * sx, y * sy]),
          confidence: b.score,
          refined_confidence: b.refinedScore ?? b.score, // the cascade's without refinement passes
        }));
    } finally {
      normalized.dispose();
    }
  }

  /** (n, 101) scorer probabilities for (n, S, S, 3) crops of RGB 0..255. */
  scoreCrops(crops) {
    return this.probabilities('scorer', crops, this.manifest.models.scorer.score.num_classes);
  }

  /** (n, 7) emotion probabilities for (n, 64, 64, 3) crops of RGB 0..255. */
  emotionCrops(crops) {
    return this.probabilities('emotion', crops, this.manifest.models.emotion.labels.length);
  }

  async probabilities(name, crops, classes) {
    const out = this.run(name, crops);
    try {
      return rows(await out.probabilities.data(), classes);
    } finally {
      tf.dispose(Object.values(out));
    }
  }

  /** Why a face is not scored ('low_confidence'), or null: it is (Python: spec.FaceGate.reason). */
  unscoredReason(face) {
    const { min_confidence: confidence, min_refined_confidence: refined } = this.gate;
    return face.confidence >= confidence && face.refined_confidence >= refined ? null : 'low_confidence';
  }

  /**
   * Score and emotion of the given faces of {rgb, width, height} (Python: ReferencePipeline.results);
   * a face the gate stops keeps its place, unscored.
   */
  async results(pixels, allFaces) {
    const reasons = allFaces.map((face) => this.unscoredReason(face));
    const faces = allFaces.filter((_, i) => reasons[i] === null);
    const { scores, emotions } = faces.length ? await this.runHeads(pixels, faces) : { scores: [], emotions: [] };
    const { scorer, emotion } = this.manifest.models;
    let next = 0;
    return allFaces.map((face, i) => {
      if (reasons[i] !== null) return { ...face, score: null, emotion: null, unscored: reasons[i] };
      const k = next;
      next += 1;
      return {
        ...face,
        score: scoreSummary(scores[k], scorer.score),
        emotion: { label: emotion.labels[argmax(emotions[k])], probs: emotions[k] },
        unscored: null,
      };
    });
  }

  /** The scorer's and the emotion model's probabilities for `faces` (at least one), each on its own crop rule. */
  async runHeads(pixels, faces) {
    const { scorer, emotion } = this.manifest.models;
    let t = performance.now();
    const scoreCrops = cropFaces(pixels, faces, scorer.crop);
    const scores = await this.scoreCrops(scoreCrops).finally(() => scoreCrops.dispose());
    this.timings.scorer = performance.now() - t;
    t = performance.now();
    const emotionCrops = cropFaces(pixels, faces, emotion.crop);
    const emotions = await this.emotionCrops(emotionCrops).finally(() => emotionCrops.dispose());
    this.timings.emotion = performance.now() - t;
    return { scores, emotions };
  }

  /**
   * Every face in `source` with score and emotion. `source`: img, canvas, video, ImageBitmap,
   * ImageData, or {data, width, height} with RGB or RGBA bytes (what Node's readPhoto gives).
   */
  async analyze(source) {
    this.timings = {};
    const start = performance.now();
    try {
      const pixels = rgbPixels(source, this.manifest.images);
      this.timings.pixels = performance.now() - start;
      return await this.results(pixels, await this.detectPixels(pixels));
    } finally {
      this.timings.total = performance.now() - start;
    }
  }

  dispose() {
    Object.values(this.models).forEach((m) => m.dispose());
  }
}
