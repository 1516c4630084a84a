// The results to keep: every photo's records as JSON or CSV (as the command lines write them), one photo as PNG.
import { resultsCsv } from 'facepack';

import { el } from './dom.js';

function download(name, blob) {
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** The records of `entries` (newest first, as the page shows them) oldest first, as the command lines write them. */
const oldestFirst = (entries) => entries.map((e) => e.record).reverse();

/** `entries` as facepack-results.json: one JSON list of records. */
export const downloadJson = (entries) =>
  download('facepack-results.json', new Blob([JSON.stringify(oldestFirst(entries), null, 1)], { type: 'application/json' }));

/** `entries` as facepack-results.csv, with the manifest's `results.csv` columns (js/src/results.js). */
export const downloadCsv = (entries, columns) =>
  download('facepack-results.csv', new Blob([resultsCsv(oldestFirst(entries), columns)], { type: 'text/csv' }));

/** A photo's canvas, boxes drawn, as <photo without its extension>-facepack.png. */
export const downloadPng = (canvas, photo) =>
  canvas.toBlob((blob) => download(`${photo.replace(/\.[^.]+$/, '')}-facepack.png`, blob), 'image/png');
