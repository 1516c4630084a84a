// Types of the facepack package, for editors and TypeScript users. The code is plain ES modules
// (src/); js/test/types/usage.ts is compiled against this file by `npm run typecheck`.

export type Backend = 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | Backend;

/** [x1, y1, x2, y2] in photo pixels. */
export type Box = [number, number, number, number];
/** [x, y] in photo pixels. */
export type Point = [number, number];

export interface Face {
  box: Box;
  /** left eye, right eye, nose, left mouth corner, right mouth corner */
  landmarks: [Point, Point, Point, Point, Point];
  /** ONet's face probability */
  confidence: number;
}

export interface AnalyzedFace extends Face {
  /** expected = sum_k p_k * k points (0-100); argmax = the most probable k; probs: 101 values */
  score: { expected: number; argmax: number; probs: number[] };
  /** label: one of the manifest's 7 FER2013 labels; probs in that order */
  emotion: { label: string; probs: number[] };
}

/** RGB or RGBA bytes, row by row (what Node's readPhoto gives). */
export interface Pixels {
  data: Uint8Array | Uint8ClampedArray;
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
  /** false keeps WASM on one thread */
  wasmThreads?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** facepack.spec's settings and every model's entry, as the bundle's manifest.json carries them. */
export interface Manifest {
  schema: 'facepack-bundle';
  version: number;
  detector: Record<string, number | string>;
  images: { max_pixels: number; orientation: string; color_profile: string; channels: string };
  models: Record<string, Record<string, unknown>>;
  files: { path: string; bytes: number; sha256: string }[];
  checks: Record<string, unknown>;
  [field: string]: unknown;
}

export class Facepack {
  /** Start a backend, read and check the bundle (sha256 of every file, every setting), load its models. */
  static load(source?: string | BundleSource, options?: LoadOptions): Promise<Facepack>;
  readonly manifest: Manifest;
  /** the backend actually running */
  readonly backend: Backend;
  readonly backendReason: string;
  readonly fallbacks: { backend: string; error: string }[];
  readonly wasm: { threads: boolean; simd: boolean } | null;
  /** milliseconds: backend, manifest, fetch, models, total */
  readonly loadTimings: Record<string, number>;
  /** milliseconds per stage of the last analyze(): pixels, pnet, rnet, onet, scorer, emotion, total */
  timings: Record<string, number>;
  /** Every face with its score and emotion, highest confidence first. */
  analyze(source: ImageSource): Promise<AnalyzedFace[]>;
  /** The MTCNN cascade only. */
  detect(source: ImageSource): Promise<Face[]>;
  dispose(): void;
}

export class BundleError extends Error {}
export class ImageError extends Error {}
export class SettingsError extends Error {}

export const BACKENDS: Backend[];
export const CHOICES: BackendChoice[];
export const SCHEMA: 'facepack-bundle';
export const SUPPORTED_VERSION: number;

export function urlSource(base: string): BundleSource;
export function startBackend(
  preferred?: BackendChoice,
  options?: { wasmPaths?: string; wasmThreads?: boolean },
): Promise<{
  backend: Backend;
  failed: { backend: string; error: string }[];
  reason: string;
  wasm: { threads: boolean; simd: boolean } | null;
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
  shown: { score: number; emotion: string; emotion_probs: number[] };
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
