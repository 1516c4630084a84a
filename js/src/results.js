// The result record of one photo, its CSV rows and its summary in words: the page, its downloads
// and the Node CLI build them here. Python counterpart: facepack/analyze.py (photo_record,
// error_record, csv_rows, csv_text, summary); tests/data/results.json holds both to the same text.
//
// A record is {photo, width, height, faces} for an analysed photo (each face as analyze() gives
// it) or {photo, error} for one that could not be analysed. The CSV has the manifest's
// results.csv columns ([name, decimals] pairs; decimals null: the value as it is), a row per face,
// one row for a photo without faces or with an error.

/** The columns a results table may have: what faceValues fills (facepack.spec.RESULT_CSV names the ones written). */
export const RESULT_FIELDS = [
  'photo',
  'width',
  'height',
  'face',
  'x1',
  'y1',
  'x2',
  'y2',
  'confidence',
  'score',
  'score_low',
  'score_high',
  'percentile',
  'score_argmax',
  'emotion',
  'emotion_probability',
  'unscored',
  'error',
];

/** The record of an analysed photo. */
export const photoRecord = (photo, width, height, faces) => ({ photo, width, height, faces });

/** The record of a photo that could not be analysed. */
export const errorRecord = (photo, message) => ({ photo, error: message });

/** The CSV values of a record's face `index` (0-based) by column name; of the photo alone when `index` is null. */
function faceValues(record, index) {
  const values = { photo: record.photo, width: record.width, height: record.height, error: record.error };
  if (index === null) return values;
  const f = record.faces[index];
  Object.assign(values, {
    face: index + 1,
    x1: f.box[0],
    y1: f.box[1],
    x2: f.box[2],
    y2: f.box[3],
    confidence: f.confidence,
    unscored: f.unscored,
  });
  if (f.score !== null) {
    Object.assign(values, {
      score: f.score.expected,
      score_low: f.score.interval[0],
      score_high: f.score.interval[1],
      percentile: f.score.percentile,
      score_argmax: f.score.argmax,
      emotion: f.emotion.label,
      emotion_probability: Math.max(...f.emotion.probs),
    });
  }
  return values;
}

/** `value` with `decimals` digits after the point (toFixed: a half rounds away from zero, on the exact value), never "-0". */
export function fixed(value, decimals) {
  const text = value.toFixed(decimals);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

const cell = (value, decimals) => {
  if (value === undefined || value === null) return '';
  return decimals === null ? String(value) : fixed(value, decimals);
};

/** The CSV cells of one record: a row per face, or one row for a photo without faces or with an error. */
export function csvRows(record, columns) {
  const rows = record.faces?.length ? record.faces.map((_, i) => faceValues(record, i)) : [faceValues(record, null)];
  return rows.map((values) => columns.map(([name, decimals]) => cell(values[name], decimals)));
}

/** One CSV line (RFC 4180, CRLF): a cell with a comma, a quote or a line break is quoted. */
const csvLine = (cells) => `${cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')}\r\n`;

/** The CSV text of `records` (oldest first): the header, then every record's rows. */
export function resultsCsv(records, columns) {
  const lines = [csvLine(columns.map(([name]) => name))];
  for (const record of records) for (const cells of csvRows(record, columns)) lines.push(csvLine(cells));
  return lines.join('');
}

function faceLine(number, f) {
  const where = `confidence ${fixed(f.confidence, 3)}, box [${f.box.map((v) => fixed(v, 0)).join(', ')}]`;
  if (f.score === null) return `  face ${number}: not scored: may not be a face (${f.unscored}), ${where}`;
  const emotion = `${f.emotion.label} (${fixed(100 * Math.max(...f.emotion.probs), 0)}%)`;
  return `  face ${number}: score ${fixed(f.score.expected, 1)}, ${emotion}, ${where}`;
}

/** A record in words: a line for the photo and one per face (both command lines print it). */
export function summary(record) {
  if (record.error !== undefined) return `${record.photo}: skipped: ${record.error}`;
  const count = record.faces.length === 1 ? '1 face' : `${record.faces.length} faces`;
  return [`${record.photo} (${record.width}x${record.height}): ${count}`, ...record.faces.map((f, i) => faceLine(i + 1, f))].join('\n');
}
