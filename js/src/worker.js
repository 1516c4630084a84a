// facepack off the main thread. The worker's side, `serveFacepack()`, holds one Facepack (and,
// for live mode, one LiveTracker) and answers the page's `FacepackWorker` (facepack_worker.js).
//
// Messages, page -> worker: {id, method, args}; worker -> page: {id, result} or {id, error},
// and {progress: [done, total]} while the bundle loads. Photos cross as ImageBitmaps, Blobs or
// RGB(A) bytes, transferred, never copied twice; results are plain data. Python counterpart:
// none (the worker runs the same Facepack).
import { cropPixels } from './crop.js';
import { Facepack } from './facepack.js';
import { decodeImage, rgbPixels } from './image.js';
import { LiveTracker } from './live.js';

/** An error as plain data the page can rebuild (name, message, and the code/params pages word). */
export function errorData(err) {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const data = { name: err.name, message: err.message };
  for (const key of ['code', 'params', 'field', 'value']) if (err[key] !== undefined) data[key] = err[key];
  return data;
}

/** What a photo crossed as (see FacepackWorker.photoMessage) becomes: something analyze takes. */
async function photoFrom(message) {
  if (message.blob) return decodeImage(message.blob, message.name);
  return message.bitmap || message.pixels;
}

/**
 * Answer FacepackWorker's calls in this worker (`scope`: the worker's global). The script a page
 * starts as a module Worker is this call and nothing else (js/src/worker_main.js is one).
 */
export function serveFacepack(scope = self) {
  let fp = null;
  let tracker = null;

  const methods = {
    async load({ source, options }) {
      if (fp) throw new Error('this worker has loaded a bundle already');
      fp = await Facepack.load(source, { ...options, onProgress: (done, total) => scope.postMessage({ progress: [done, total] }) });
      const { manifest, gate, backend, backendReason, fallbacks, wasm, loadTimings } = fp;
      return { manifest, gate, backend, backendReason, fallbacks, wasm, loadTimings };
    },
    // With `crops` (a crop rule), also each face's crop as RGB bytes (what a page shows).
    async analyze(message) {
      const photo = await photoFrom(message);
      try {
        const pixels = rgbPixels(photo, fp.manifest.images);
        const faces = await fp.analyze(pixels);
        const crops = message.crops ? faces.map((face) => cropPixels(pixels, [face], message.crops)) : null;
        return { faces, timings: fp.timings, crops, width: pixels.width, height: pixels.height };
      } finally {
        if (photo && typeof photo.close === 'function') photo.close();
      }
    },
    async liveStep(message) {
      if (!tracker) tracker = new LiveTracker(fp);
      const frame = await photoFrom(message);
      try {
        const result = await tracker.step(frame);
        return { result, timings: tracker.timings };
      } finally {
        if (frame && typeof frame.close === 'function') frame.close();
      }
    },
    liveReset() {
      tracker = null;
      return null;
    },
    dispose() {
      if (fp) fp.dispose();
      fp = null;
      tracker = null;
      return null;
    },
  };

  scope.addEventListener('message', async ({ data }) => {
    const { id, method, args } = data;
    try {
      if (!methods[method]) throw new Error(`facepack worker: no method ${method}`);
      if (method !== 'load' && !fp) throw new Error('facepack worker: load a bundle first');
      scope.postMessage({ id, result: await methods[method](args) });
    } catch (err) {
      scope.postMessage({ id, error: errorData(err) });
    }
  });
}
