// boxes.js against the `mtcnn` package itself (fixtures/boxes.json, written by make_fixtures.py):
// its NMS variant with both overlap methods, square-up and box regression.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { nms, regress, sortByScore, square } from '../src/boxes.js';

const fixture = JSON.parse(fs.readFileSync(new URL('./fixtures/boxes.json', import.meta.url)));
const boxes = fixture.boxes.map(([x1, y1, x2, y2, score]) => ({ x1, y1, x2, y2, score }));
const rows = (list) => list.map((b) => [b.x1, b.y1, b.x2, b.y2, b.score]);

function assertClose(actual, expected, tolerance = 1e-9) {
  assert.equal(actual.length, expected.length, `${actual.length} rows, expected ${expected.length}`);
  actual.forEach((row, i) =>
    row.forEach((v, j) => assert.ok(Math.abs(v - expected[i][j]) <= tolerance, `row ${i} col ${j}: ${v} vs ${expected[i][j]}`)),
  );
}

for (const { method, threshold, kept } of fixture.nms) {
  test(`NMS (${method}, ${threshold}) keeps the package's boxes in its order`, () => {
    assertClose(rows(nms(boxes, threshold, method, true)), kept);
  });
}

test("the package's NMS is not greedy: a dropped box still drops the boxes it overlaps", () => {
  const a = { x1: 0, y1: 0, x2: 10, y2: 10, score: 0.9 };
  const b = { x1: 4, y1: 0, x2: 14, y2: 10, score: 0.8 }; // overlaps a: dropped
  const c = { x1: 8, y1: 0, x2: 18, y2: 10, score: 0.7 }; // overlaps only b (IoU 0.43), which was dropped
  assert.deepEqual(nms([a, b, c], 0.4, 'union', true), [a]);
});

test('sorting puts ties in the package order for up to 16 boxes (a stable argsort, reversed)', () => {
  const tied = [0, 1, 2].map((i) => ({ x1: i, y1: 0, x2: i + 1, y2: 1, score: 0.5 }));
  assert.deepEqual(
    sortByScore(tied).map((b) => b.x1),
    [2, 1, 0],
  );
});

test('an unknown NMS method is refused by name', () => {
  assert.throws(() => nms(boxes, 0.5, 'greedy'), /NMS method greedy is not supported/);
});

test('square-up and regression match the package', () => {
  assertClose(
    rows(square(boxes)).map((r) => r.slice(0, 4)),
    fixture.square,
  );
  assertClose(
    boxes.map((b, i) => regress(b, fixture.offsets[i])).map((b) => [b.x1, b.y1, b.x2, b.y2]),
    fixture.regressed,
  );
});
