// Types of the facepack package, for editors and TypeScript users. The code is plain ES modules
// (src/); js/test/types/usage.ts (the README's examples) is compiled against this file by
// `npm run typecheck`, the apps in examples/ by `npm run typecheck:examples`, and
// js/test/exports.test.js holds it to the entry modules' exports.

export type Backend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | Backend;

/** [x1, y1, x2, y2] in photo pixels. */
export type Box = [number, number, number, number];
/** [x, y] in photo pixels. */
export type Point = [number, number];

export interface Face {
  box: Box;
  /** left eye, right eye, nose, left mouth corner, right mouth corner */
  landmarks: [Point, Point, Point, Point, Point];
  /** ONet's face probability, as the cascade gives it */
  confidence: number;
  /** ONet's face probability on the face's own square, in the last refinement pass (the gate reads both) */
  refined_confidence: number;
}

/** What a face's scorer probabilities say (scoreSummary). */
export interface ScoreSummary {
  /** sum_k p_k * k points (0-100) */
  expected: number;
  /** the most probable class k */
  argmax: number;
  /** the scorer's num_classes (101) probabilities */
  probs: number[];
  /** [low, high]: the classes at the quantiles of the manifest's models.scorer.score.interval */
  interval: [number, number];
  /** percent of the manifest's reference ratings below `expected` (ties half); null when it has none */
  percentile: number | null;
}

export interface AnalyzedFace extends Face {
  /** expected = sum_k p_k * k points (0-100); argmax = the most probable k; probs: 101 values; interval; percentile. null when unscored */
  score: ScoreSummary | null;
  /** label: one of the manifest's 7 FER2013 labels; probs in that order. null when unscored */
  emotion: { label: string; probs: number[] } | null;
  /** null: scored; 'low_confidence': the detector's confidence is below the gate (Facepack.gate), so it may not be a face and nothing was run on it */
  unscored: UnscoredReason | null;
}

/** Why a face was not scored (facepack.spec.UNSCORED_REASONS). */
export type UnscoredReason = 'low_confidence';

/** Which faces are scored: the manifest's `gate` (facepack.spec.FaceGate). */
export interface Gate {
  /** a face is scored when its detector confidence is at least this (0-1) */
  min_confidence: number;
}

/** RGB or RGBA bytes, row by row (what Node's readPhoto gives). */
export interface Pixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** RGB bytes (height * width * 3), what rgbPixels gives and cropPixels takes. */
export interface RgbPixels {
  rgb: Uint8Array;
  width: number;
  height: number;
}

export type ImageSource = Pixels | ImageData | ImageBitmap | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | OffscreenCanvas;

/** Where a bundle's files come from: `urlSource(base)`, `dirSource(dir)` (Node), or your own. */
export interface BundleSource {
  name?: string;
  read(path: string, options?: { cache?: RequestCache }): Promise<Uint8Array>;
}

export interface LoadOptions {
  /** default 'auto': webgl on a hardware GPU, else wasm; a backend that fails falls back webgl -> wasm -> cpu */
  backend?: BackendChoice;
  /** where tfjs-backend-wasm's .wasm files are (URL prefix ending in '/', or a folder in Node) */
  wasmPaths?: string;
  /** WASM's XNNPACK threads: true (default) the logical cores halved, at least 2 on 2 cores, at most 8; a number: that many; false: WASM's build without threads */
  wasmThreads?: boolean | number;
  onProgress?: (done: number, total: number) => void;
  /** score only faces the detector is at least this sure of, 0-1 (default: the manifest's gate.min_confidence) */
  minFaceConfidence?: number;
}

/** A manifest's models.<name>.crop (facepack.spec.CropRule): the square patch the scorer or the emotion model sees. */
export interface CropRule {
  /** 'landmarks': centred between eyes and mouth, side = size x their distance; 'box': the box's centre, side = size x its longer side */
  anchor: 'landmarks' | 'box';
  size: number;
  /** the patch's side in pixels */
  output: number;
  /** the value of a sample outside the photo */
  fill: number;
  resize: 'bilinear';
  /** 'eyes' turns the patch to level the eyes */
  rotate: 'none' | 'eyes';
}

/** A graph model's model.json as far as graphArtifacts reads it; its other fields are passed on untyped. */
export interface GraphModelJson {
  weightsManifest: { paths: string[]; weights: unknown[] }[];
  [field: string]: unknown;
}

/** One photo's result, as the command lines write it: analysed ({photo, width, height, faces}) or not ({photo, error}). */
export type PhotoRecord = { photo: string; width: number; height: number; faces: AnalyzedFace[] } | { photo: string; error: string };

/** A results table's columns: [name, decimals] (null: the value as it is), the manifest's results.csv. */
export type ResultColumns = [string, number | null][];

/** facepack.spec's settings and every model's entry, as the bundle's manifest.json carries them. */
export interface Manifest {
  schema: 'facepack-bundle';
  version: number;
  detector: Record<string, number | string>;
  gate: Gate;
  live: LiveSettings;
  images: { max_pixels: number; orientation: string; color_profile: string; channels: string };
  models: Record<string, Record<string, unknown>>;
  files: { path: string; bytes: number; sha256: string }[];
  checks: Record<string, unknown>;
  results: { csv: ResultColumns };
  [field: string]: unknown;
}

export class Facepack {
  /** Start a backend, read and check the bundle (sha256 of every file, every setting), load its models. */
  static load(source?: string | BundleSource, options?: LoadOptions): Promise<Facepack>;
  readonly manifest: Manifest;
  /** which faces are scored: the manifest's gate, or LoadOptions.minFaceConfidence */
  readonly gate: Gate;
  /** the backend actually running */
  readonly backend: Backend;
  readonly backendReason: string;
  readonly fallbacks: { backend: string; error: string }[];
  readonly wasm: { threads: boolean; simd: boolean; threadsCount: number } | null;
  /** milliseconds: backend, manifest, fetch, models, total */
  readonly loadTimings: Record<string, number>;
  /** milliseconds per stage of the last analyze(): pixels, pnet, rnet, onet, scorer, emotion, total */
  timings: Record<string, number>;
  /** Every face with its score and emotion (or, below the gate, `unscored`), highest confidence first. */
  analyze(source: ImageSource): Promise<AnalyzedFace[]>;
  /** The MTCNN cascade only. */
  detect(source: ImageSource): Promise<Face[]>;
  dispose(): void;
}

export interface WorkerLoadOptions extends LoadOptions {
  /** a module Worker whose script calls serveFacepack(), or that script's URL (required) */
  worker: Worker | string | URL;
}

/** Facepack's API in a module Worker (the page thread only posts photos and reads results). */
export class FacepackWorker {
  /** Start the worker and load, check and start the bundle in it, as Facepack.load. */
  static load(source: string, options: WorkerLoadOptions): Promise<FacepackWorker>;
  readonly worker: Worker;
  readonly manifest: Manifest;
  readonly gate: Gate;
  readonly backend: Backend;
  readonly backendReason: string;
  readonly fallbacks: { backend: string; error: string }[];
  readonly wasm: { threads: boolean; simd: boolean; threadsCount: number } | null;
  readonly loadTimings: Record<string, number>;
  /** milliseconds per stage of the last analyze(), measured in the worker */
  timings: Record<string, number>;
  /** milliseconds per stage of the last liveStep() */
  liveTimings?: Record<string, number>;
  /** Every face, as Facepack.analyze; a File or Blob is decoded in the worker. */
  analyze(source: ImageSource | Blob, name?: string): Promise<AnalyzedFace[]>;
  /** analyze, and each face's crop by `rule` (RGB bytes, rule.output a side), cut in the worker. */
  analyzeWithCrops(
    source: ImageSource | Blob,
    rule: CropRule | null,
    name?: string,
  ): Promise<{ faces: AnalyzedFace[]; crops: Float32Array[] | null; timings: Record<string, number>; width: number; height: number }>;
  /** One video frame through the worker's LiveTracker, as LiveTracker.step. */
  liveStep(frame: ImageSource): Promise<{ keyframe: boolean; faces: TrackedFace[] }>;
  /** Forget the live tracks. */
  liveReset(): Promise<null>;
  /** Free the models and stop the worker. */
  dispose(): Promise<void>;
}
/** In a worker's script: answer a FacepackWorker's calls (`scope`: the worker's global, default self). */
export function serveFacepack(scope?: {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}): void;
/** An error as plain data that crosses to the page: name, message, and code, params, field, value where set. */
export function errorData(err: unknown): {
  name: string;
  message: string;
  code?: string;
  params?: Record<string, unknown>;
  field?: string;
  value?: string;
};

export class BundleError extends Error {}
export class ImageError extends Error {}
export class SettingsError extends Error {}

export const BACKENDS: Backend[];
export const CHOICES: BackendChoice[];
export const SCHEMA: 'facepack-bundle';
export const SUPPORTED_VERSION: number;

/** A bundle served over HTTP under `base` (e.g. '/bundle/'). */
export function urlSource(base: string): BundleSource;
/** Check a parsed manifest's schema, version and that it has models, files and checks (else BundleError); returns it. Its settings are checkSettings' job. */
export function checkManifest(manifest: unknown): Manifest;
/** Read manifest.json from a source and checkManifest it. */
export function loadManifest(source: BundleSource): Promise<Manifest>;
/** Every file the manifest lists, path -> bytes, each checked against its size and sha256 (else BundleError naming it). */
export function fetchVerified(
  source: BundleSource,
  manifest: Pick<Manifest, 'files'>,
  onProgress?: (done: number, total: number) => void,
): Promise<Map<string, Uint8Array>>;
/** TF.js ModelArtifacts from a model.json and its shards' bytes, for tf.loadGraphModel({ load }); loosely typed: cast to tf.io.ModelArtifacts. */
export function graphArtifacts(
  json: GraphModelJson,
  readShard: (shardPath: string) => Uint8Array,
): {
  modelTopology: unknown;
  format: unknown;
  generatedBy: unknown;
  convertedBy: unknown;
  signature: unknown;
  userDefinedMetadata: unknown;
  modelInitializer: unknown;
  weightSpecs: unknown[];
  weightData: ArrayBuffer;
};
/** What 'auto' means here, and why: webgpu on a hardware WebGPU adapter, else webgl on a hardware WebGL, else wasm. */
export function autoBackend(): Promise<{ backend: Backend; reason: string }>;
export function startBackend(
  preferred?: BackendChoice,
  options?: { wasmPaths?: string; wasmThreads?: boolean | number },
): Promise<{
  backend: Backend;
  failed: { backend: string; error: string }[];
  reason: string;
  wasm: { threads: boolean; simd: boolean; threadsCount: number } | null;
}>;
/** Live mode's settings: the manifest's `live` (facepack.spec.LiveSpec). */
export interface LiveSettings {
  keyframe_every: number;
  margin: number;
  smoothing: number;
  score_every: number;
  edge: number;
}
/**
 * One tracked face: the analysed face, its track id and the smoothed values the page shows.
 * `scored` is false on frames that kept the track's last score and emotion (manifest live.score_every).
 */
export interface TrackedFace extends AnalyzedFace {
  id: number;
  scored: boolean;
  /** all null while the gate leaves the face unscored */
  shown: { score: number | null; emotion: string | null; emotion_probs: number[] | null };
}
/** Video: the full cascade on keyframes, RNet and ONet on each face's last box in between. */
export class LiveTracker {
  constructor(facepack: Facepack, settings?: LiveSettings);
  /** milliseconds per stage of the last step */
  readonly timings: Record<string, number>;
  step(source: ImageSource): Promise<{ keyframe: boolean; faces: TrackedFace[] }>;
}
/** Whether a box comes within `edge` of the frame's side to its border (live mode scores such a face on every frame). */
export function atEdge(box: [number, number, number, number], width: number, height: number, edge: number): boolean;
/** The square around a box's centre, its side the longer side times (1 + 2 * margin). */
export function grownSquare(box: [number, number, number, number], margin: number): [number, number, number, number];
/** Decode a File or Blob upright, without colour conversion (browsers). */
export function decodeImage(blob: Blob, name?: string): Promise<ImageBitmap>;
/** RGB bytes of any image source, refusing one over the policy's pixel limit. */
export function rgbPixels(source: ImageSource, policy?: { max_pixels: number }): { rgb: Uint8Array; width: number; height: number };
/** The (height, width) the cascade runs at: the photo's, or scaled down so the longer side is maxSide (manifest detector.max_side). */
export function detectionSize(height: number, width: number, maxSide: number): [number, number];
/** The square `rule` cuts around a face: centre, side (at least 1) and turn in radians. */
export function cropSquare(face: Pick<Face, 'box' | 'landmarks'>, rule: CropRule): { cx: number; cy: number; side: number; angle: number };
/** (n, S, S, 3) float32 samples of the faces' crops by `rule` (S = rule.output), cut from RGB bytes without TF.js. */
export function cropPixels(pixels: RgbPixels, faces: Pick<Face, 'box' | 'landmarks'>[], rule: CropRule): Float32Array;
/** sum_k p_k * k: the expected score in points of a face's class probabilities. */
export function expectedPoints(probs: ArrayLike<number>): number;
/** The smallest class k whose cumulative probability reaches q. */
export function quantileClass(probs: ArrayLike<number>, q: number): number;
/** Percent of `reference` below `score`, counting ties as half (NaN for an empty reference). */
export function percentileAmong(score: number, reference: readonly number[]): number;
/** A face's ScoreSummary, by the manifest's models.scorer.score (its interval quantiles and its reference ratings, if any). */
export function scoreSummary(
  probs: number[],
  score: { interval: [number, number]; reference?: { points?: readonly number[] } | null },
): ScoreSummary;
/** The record of an analysed photo (Python: facepack.analyze.photo_record). */
export function photoRecord(photo: string, width: number, height: number, faces: AnalyzedFace[]): PhotoRecord;
/** The record of a photo that could not be analysed (Python: facepack.analyze.error_record). */
export function errorRecord(photo: string, message: string): PhotoRecord;
/** A record's CSV cells: a row per face, or one row for a photo without faces or with an error. */
export function csvRows(record: PhotoRecord, columns: ResultColumns): string[][];
/** The CSV text (RFC 4180, CRLF) of records, oldest first: the header, then every record's rows. */
export function resultsCsv(records: PhotoRecord[], columns: ResultColumns): string;
/** A record in words: a line for the photo, one per face. */
export function summary(record: PhotoRecord): string;
/** `value` with `decimals` digits after the point, as toFixed rounds, never "-0". */
export function fixed(value: number, decimals: number): string;
/** Throw SettingsError naming the first field of a manifest this code does not know or implement (every section: models, checks, results, images, detector, gate, live). */
export function checkSettings(manifest: Manifest): void;
/** Run every model of a bundle on its stored check inputs and compare with the stored Keras outputs. */
export function runSelfTest(
  source: string | BundleSource,
  backend: BackendChoice,
  options?: { wasmPaths?: string; log?: (line: string) => void },
): Promise<{ backend: Backend; passed: boolean; models: { model: string; maxDiff: number; scoreShift: number | null; passed: boolean }[] }>;

// Node only (the package's "node" export):
/** A bundle folder as a source. */
export function dirSource(dir: string): BundleSource;
/** A JPEG, PNG or WebP file as upright RGB pixels, by the bundle's image policy (manifest.images). */
export function readPhoto(file: string, policy?: { max_pixels: number }): Promise<Pixels>;
export function decodePhoto(bytes: Uint8Array, name?: string, policy?: { max_pixels: number }): Promise<Pixels>;
