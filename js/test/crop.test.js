// crop.js against facepack/crop.py (fixtures/crop.json, written by make_fixtures.py): the same
// squares, turned or not, and the same bilinear samples, including samples outside the photo.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { checkCropRule, cropPixels, cropSquare } from '../src/crop.js';

const fixture = JSON.parse(fs.readFileSync(new URL('./fixtures/crop.json', import.meta.url)));
const pixels = { rgb: Uint8Array.from(fixture.rgb), width: fixture.width, height: fixture.height };

for (const { rule, expected } of fixture.cases) {
  test(`crop ${rule.anchor}, rotate ${rule.rotate}, ${rule.output} px equals Python's`, () => {
    const got = cropPixels(pixels, fixture.faces, rule);
    assert.equal(got.length, expected.length);
    let worst = 0;
    got.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - expected[i]));
    });
    assert.ok(worst < 1e-4, `max difference ${worst}`); // Python rounds its float64 result to float32
  });
}

test('a turned face gives its eye angle; an axis-aligned rule gives none', () => {
  const face = fixture.faces[1]; // turned by 20 degrees
  const turned = cropSquare(face, { anchor: 'landmarks', size: 3.2, rotate: 'eyes' });
  assert.ok(Math.abs((turned.angle * 180) / Math.PI - 20) < 1e-9);
  assert.equal(cropSquare(face, { anchor: 'landmarks', size: 3.2, rotate: 'none' }).angle, 0);
});

test('rules this code does not implement are refused by field', () => {
  const good = { anchor: 'box', size: 1.2, output: 64, fill: 0, resize: 'bilinear', rotate: 'none' };
  assert.doesNotThrow(() => checkCropRule(good));
  assert.throws(
    () => checkCropRule({ ...good, rotate: 'nose' }, 'models.scorer.crop'),
    /models\.scorer\.crop\.rotate nose is not supported/,
  );
  assert.throws(() => checkCropRule({ ...good, resize: 'bicubic' }), /crop\.resize bicubic/);
  assert.throws(() => checkCropRule({ ...good, anchor: 'ears' }), /crop\.anchor ears/);
});
