// score.js: the interval and percentile arithmetic (the same as facepack/score.py).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { percentileAmong, quantileClass, scoreSummary } from '../src/score.js';

test('the interval is the smallest classes whose cumulative probability reaches each quantile', () => {
  const probs = new Array(101).fill(0);
  probs[40] = 0.05;
  probs[50] = 0.5;
  probs[60] = 0.3;
  probs[70] = 0.15;
  assert.equal(quantileClass(probs, 0.1), 50); // 0.05 at 40 is not yet 0.1
  assert.equal(quantileClass(probs, 0.9), 70); // 0.85 at 60
  const summary = scoreSummary(probs, { interval: [0.1, 0.9], reference: { points: [10, 50, 55.5, 90] } });
  assert.deepEqual(summary.interval, [50, 70]);
  assert.ok(Math.abs(summary.expected - 55.5) < 1e-9 && summary.argmax === 50);
  assert.equal(summary.percentile, (100 * (2 + 0.5)) / 4); // 10 and 50 below, 55.5 tied
  assert.equal(scoreSummary(probs, { interval: [0.1, 0.9], reference: null }).percentile, null);
});

test('the percentile counts ties as half', () => {
  assert.equal(percentileAmong(50, [50, 50]), 50);
  assert.equal(percentileAmong(0, [1, 2]), 0);
  assert.equal(percentileAmong(100, [1, 2]), 100);
});
