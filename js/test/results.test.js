// results.js: the record's CSV and summary, held to tests/data/results.json, which
// tests/facepack/test_results.py holds facepack/analyze.py to: the same records give the same text in both.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { RESULT_FIELDS, csvRows, errorRecord, fixed, photoRecord, resultsCsv, summary } from '../src/results.js';

const FIXTURE = JSON.parse(fs.readFileSync(new URL('../../tests/data/results.json', import.meta.url), 'utf8'));

test('the columns this package fills are the columns Python writes (facepack.spec.RESULT_CSV, in the fixture)', () => {
  assert.deepEqual(
    RESULT_FIELDS,
    FIXTURE.columns.map(([name]) => name),
  );
});

test('the CSV text is the fixture, to the byte', () => {
  assert.equal(resultsCsv(FIXTURE.records, FIXTURE.columns), FIXTURE.csv);
});

test('a face is a row, and so is a photo without faces or with an error', () => {
  assert.deepEqual(
    FIXTURE.records.map((r) => csvRows(r, FIXTURE.columns).length),
    [3, 1, 1],
  );
});

test('the summaries are the fixture', () => {
  assert.deepEqual(FIXTURE.records.map(summary), FIXTURE.summaries);
});

test('records are built in one shape', () => {
  const [analysed, , failed] = FIXTURE.records;
  assert.deepEqual(photoRecord(analysed.photo, analysed.width, analysed.height, analysed.faces), analysed);
  assert.deepEqual(errorRecord(failed.photo, failed.error), failed);
});

test('fixed rounds an exact tie away from zero and writes no negative zero', () => {
  assert.equal(fixed(10.125, 2), '10.13');
  assert.equal(fixed(-3.625, 2), '-3.63');
  assert.equal(fixed(1.005, 2), '1.00'); // 1.00499999999999989... in binary
  assert.equal(fixed(-0.001, 2), '0.00');
  assert.equal(fixed(-0, 0), '0');
});
