// pyramid.js's AREA resize against TensorFlow's own (fixtures/area.json, written by make_fixtures.py).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { pyramidScales, resizeArea, scaledSize } from '../src/pyramid.js';

const fixture = JSON.parse(fs.readFileSync(new URL('./fixtures/area.json', import.meta.url)));

for (const c of fixture.cases) {
  test(`AREA resize ${c.in.join('x')} -> ${c.out.join('x')} equals tf.image.resize(method='area')`, () => {
    for (const src of [Uint8Array.from(c.pixels), Float32Array.from(c.pixels)]) {
      const out = resizeArea(src, c.in[0], c.in[1], 3, c.out[0], c.out[1]);
      assert.equal(out.length, c.expected.length);
      let worst = 0;
      out.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - c.expected[i]));
      });
      assert.ok(worst < 2e-4, `max difference ${worst}`); // float32 sums in another order
    }
  });
}

test("the pyramid's scales are the package's (build_scale_pyramid), and levels truncate", () => {
  const detector = { min_size: 12, min_face_size: 20, scale_factor: 0.709 };
  for (const { width, height, scales } of fixture.pyramids) {
    const got = pyramidScales(width, height, detector);
    assert.equal(got.length, scales.length, `${width}x${height}`);
    got.forEach((s, i) => assert.ok(Math.abs(s - scales[i]) < 1e-12, `${width}x${height} level ${i}`));
  }
  assert.deepEqual(scaledSize(1280, 1920, 0.6 * 0.709), [544, 816]); // 544.6 and 816.8, truncated
});
