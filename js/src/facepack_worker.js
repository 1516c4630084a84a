// facepack off the main thread: `FacepackWorker` has Facepack's API (load, analyze, manifest,
// backend, timings, dispose) and a live tracker's (`liveStep`), and runs them in a module Worker
// whose script calls `serveFacepack()` (worker.js). The page only posts photos and reads
// results, so analysing a photo never blocks it. Python counterpart: none.
import { defaultWasmPaths } from './wasm_paths.js';

/** An error from the worker, rebuilt with its name, message, code and params. */
function rebuild(data) {
  const err = new Error(data.message);
  Object.assign(err, data);
  return err;
}

function absolute(url) {
  return new URL(url, globalThis.location ? globalThis.location.href : undefined).href;
}

/**
 * How a photo crosses to the worker, and what to transfer: Blobs (files) as they are (the
 * worker decodes them), ImageBitmaps and anything drawable as a new ImageBitmap (the caller
 * keeps its own), pixel objects as a copy of their bytes.
 */
async function photoMessage(source, name) {
  if (typeof Blob !== 'undefined' && source instanceof Blob) return [{ blob: source, name }, []];
  const bytes = source && (source.rgb || source.data);
  if (bytes && ArrayBuffer.isView(bytes)) {
    const copy = bytes.slice();
    const pixels = source.rgb
      ? { rgb: copy, width: source.width, height: source.height }
      : { data: copy, width: source.width, height: source.height };
    return [{ pixels, name }, [copy.buffer]];
  }
  const bitmap = await createImageBitmap(source);
  return [{ bitmap, name }, [bitmap]];
}

export class FacepackWorker {
  constructor(worker, calls, info) {
    this.worker = worker;
    this.calls = calls;
    Object.assign(this, info); // manifest, gate, backend, backendReason, fallbacks, wasm, loadTimings
    this.timings = {};
  }

  /**
   * Start `worker` (a module Worker whose script calls serveFacepack(), or that script's URL)
   * and load the bundle at `source` in it, as Facepack.load does.
   * @param {string} source the bundle's URL
   * @param {object} options worker (required), backend, wasmPaths, wasmThreads, onProgress(done, total), gate
   */
  static async load(
    source = '/bundle/',
    { worker, backend = 'auto', wasmPaths = defaultWasmPaths(), wasmThreads = true, onProgress = () => {}, gate } = {},
  ) {
    if (!worker) {
      throw new Error(
        "FacepackWorker.load needs a worker: new Worker(URL of a module that calls serveFacepack(), { type: 'module' }) (js/README.md, In a Web Worker)",
      );
    }
    const started = typeof worker === 'string' || worker instanceof URL ? new Worker(worker, { type: 'module' }) : worker;
    const pending = new Map();
    let next = 0;
    const fail = (err) => {
      for (const { reject } of pending.values()) reject(err);
      pending.clear();
    };
    started.addEventListener('message', ({ data }) => {
      if (data.progress) return onProgress(...data.progress);
      const call = pending.get(data.id);
      if (!call) return undefined;
      pending.delete(data.id);
      return data.error ? call.reject(rebuild(data.error)) : call.resolve(data.result);
    });
    // A script that does not load or throws at the top level never answers: say so.
    started.addEventListener('error', (event) => {
      event.preventDefault();
      fail(new Error(`the facepack worker failed: ${event.message || 'its script did not load (a bare import without a bundler?)'}`));
    });
    const calls = (method, args, transfer = []) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        started.postMessage({ id, method, args }, transfer);
      });
    const options = {
      backend,
      wasmThreads,
      ...(wasmPaths ? { wasmPaths: absolute(wasmPaths) } : {}),
      ...(gate === undefined ? {} : { gate }),
    };
    try {
      const info = await calls('load', { source: absolute(source), options });
      return new FacepackWorker(started, calls, info);
    } catch (err) {
      started.terminate();
      throw err;
    }
  }

  /** Every face in `source` (a File or Blob, img, canvas, video, ImageBitmap, ImageData or pixels), as Facepack.analyze. */
  async analyze(source, name = 'the photo') {
    return (await this.analyzeWithCrops(source, null, name)).faces;
  }

  /**
   * analyze, and with `rule` (a crop rule, e.g. manifest.models.scorer.crop) each face's crop cut
   * in the worker: {faces, crops: [Uint8Array RGB, rule.output square] | null, width, height}.
   */
  async analyzeWithCrops(source, rule, name = 'the photo') {
    const [message, transfer] = await photoMessage(source, name);
    const out = await this.calls('analyze', { ...message, crops: rule }, transfer);
    this.timings = out.timings;
    return out;
  }

  /** One video frame through the worker's LiveTracker: {keyframe, faces}, as LiveTracker.step. */
  async liveStep(frame) {
    const [message, transfer] = await photoMessage(frame, 'the frame');
    const { result, timings } = await this.calls('liveStep', message, transfer);
    this.liveTimings = timings;
    return result;
  }

  /** Forget the live tracks (a new video starts). */
  liveReset() {
    return this.calls('liveReset', null);
  }

  /** Free the models and stop the worker. */
  async dispose() {
    try {
      await this.calls('dispose', null);
    } finally {
      this.worker.terminate();
    }
  }
}
