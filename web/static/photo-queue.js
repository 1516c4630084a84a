// The photo queue: photos decoded, analysed and drawn one after another, each one's result put first in the entries.
import { cropPixels, decodeImage, errorRecord, photoRecord, rgbPixels } from 'facepack';

import { el } from './dom.js';
import { cropCanvas, drawFaces } from './drawings.js';
import { errorText, facesText } from './i18n.js';
import { ownScale } from './model-card.js';

// A displayed photo is drawn at most this wide (the analysis always uses every pixel).
const DISPLAY_MAX_SIDE = 1600;

/**
 * A queue analysing photos with `fp` into `entries` (newest first); `showResults()` after each
 * photo, `setStatus(state, key, values)` for the status line. Returns its ways in: files, samples.
 */
export function photoQueue({ fp, entries, setStatus, showResults }) {
  let queue = Promise.resolve();
  const rule = fp.manifest.models.scorer.crop;

  // The faces and each one's scorer crop (RGB bytes): cut in the worker with a FacepackWorker.
  async function analyzeWithCrops(bitmap, name) {
    if (fp.analyzeWithCrops) return fp.analyzeWithCrops(bitmap, rule, name);
    const pixels = rgbPixels(bitmap, fp.manifest.images);
    const faces = await fp.analyze(pixels);
    return { faces, crops: faces.map((face) => cropPixels(pixels, [face], rule)) };
  }

  async function analyzeBlob(blob, name) {
    setStatus('running', 'status.analysing', { name });
    let bitmap;
    try {
      bitmap = await decodeImage(blob, name);
      const { faces, crops: cropBytes } = await analyzeWithCrops(bitmap, name);
      const scale = Math.min(1, DISPLAY_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      const canvas = el('canvas', {
        width: Math.round(bitmap.width * scale),
        height: Math.round(bitmap.height * scale),
        className: 'photo',
      });
      const ctx = canvas.getContext('2d');
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      drawFaces(ctx, faces, scale);
      const crops = cropBytes.map((rgb) => cropCanvas(rgb, fp.manifest.models.scorer.crop.output));
      entries.unshift({
        record: photoRecord(name, bitmap.width, bitmap.height, faces),
        canvas,
        crops,
        timings: { ...fp.timings },
        backend: fp.backend,
        gate: fp.gate,
        scale: ownScale(fp.manifest),
      });
      showResults();
      setStatus('ready', 'status.done', { name, faces: () => facesText(faces.length) });
      return faces;
    } catch (err) {
      entries.unshift({ record: errorRecord(name, err.message), error: err });
      showResults();
      setStatus('ready', 'status.done', { name, faces: () => errorText(err) });
      return null;
    } finally {
      if (bitmap) bitmap.close();
    }
  }

  // Photos are analysed one after another; a failed one does not stop the rest.
  function enqueue(blob, name) {
    queue = queue.then(() => analyzeBlob(blob, name));
    return queue;
  }

  return {
    enqueueFiles(files) {
      for (const file of files) enqueue(file, file.name);
    },
    async loadSample(name) {
      const response = await fetch(`samples/${name}`);
      if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
      return enqueue(await response.blob(), name);
    },
  };
}
