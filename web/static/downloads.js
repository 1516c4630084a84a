// The results to keep: every photo's records as JSON or CSV (as the command lines write them), one photo as PNG.
import { el } from './dom.js';

function download(name, blob) {
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** The results as the command lines write them: one JSON list of records, oldest first. */
function resultsJson(entries) {
  return JSON.stringify(entries.map((e) => e.record).reverse(), null, 1);
}

/** One row per face, the columns and decimals of the manifest's results.csv (spec.RESULT_CSV). */
function resultsCsv(entries, columns) {
  const quote = (v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [columns.map(([name]) => name).join(',')];
  for (const { record } of [...entries].reverse()) {
    const base = { photo: record.photo, width: record.width ?? '', height: record.height ?? '', error: record.error ?? '' };
    const faces = record.faces && record.faces.length ? record.faces : [null];
    faces.forEach((f, i) => {
      const where = f && { ...base, face: i + 1, x1: f.box[0], y1: f.box[1], x2: f.box[2], y2: f.box[3], confidence: f.confidence };
      let values = base;
      if (f && f.score === null) values = { ...where, unscored: f.unscored };
      else if (f) {
        values = {
          ...where,
          score: f.score.expected,
          score_low: f.score.interval[0],
          score_high: f.score.interval[1],
          percentile: f.score.percentile,
          score_argmax: f.score.argmax,
          emotion: f.emotion.label,
          emotion_probability: Math.max(...f.emotion.probs),
        };
      }
      lines.push(
        columns
          .map(([name, decimals]) => {
            const v = values[name];
            if (v === undefined || v === null) return '';
            return quote(decimals === null ? String(v) : v.toFixed(decimals));
          })
          .join(','),
      );
    });
  }
  return `${lines.join('\n')}\n`;
}

/** `entries` (newest first, as the page shows them) as facepack-results.json. */
export const downloadJson = (entries) => download('facepack-results.json', new Blob([resultsJson(entries)], { type: 'application/json' }));

/** `entries` as facepack-results.csv, with the manifest's `results.csv` columns. */
export const downloadCsv = (entries, columns) =>
  download('facepack-results.csv', new Blob([resultsCsv(entries, columns)], { type: 'text/csv' }));

/** A photo's canvas, boxes drawn, as <photo without its extension>-facepack.png. */
export const downloadPng = (canvas, photo) =>
  canvas.toBlob((blob) => download(`${photo.replace(/\.[^.]+$/, '')}-facepack.png`, blob), 'image/png');
