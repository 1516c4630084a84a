// The gate in JavaScript (facepack.spec.FaceGate in Python): which faces are scored, at the
// thresholds' exact values, and a load option that leaves a threshold unset keeps the manifest's.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Facepack } from '../src/facepack.js';

const started = { backend: 'cpu', reason: 'asked for', failed: [], wasm: null };
const manifest = { gate: { min_confidence: 0.8, min_refined_confidence: 0.8 } };
const face = (confidence, refined) => ({ confidence, refined_confidence: refined });

test('a face is scored when both confidences reach their thresholds, which count as reached', () => {
  const fp = new Facepack(manifest, {}, started, {});
  assert.equal(fp.unscoredReason(face(0.8, 0.8)), null);
  assert.equal(fp.unscoredReason(face(0.99, 0.7999)), 'low_confidence');
  assert.equal(fp.unscoredReason(face(0.7999, 0.99)), 'low_confidence');
});

test("a load option overrides the manifest's gate only where it gives a value", () => {
  const fp = new Facepack(manifest, {}, started, {}, { min_confidence: undefined, min_refined_confidence: 0.5 });
  assert.deepEqual(fp.gate, { min_confidence: 0.8, min_refined_confidence: 0.5 });
  assert.equal(fp.unscoredReason(face(0.85, 0.6)), null);
  assert.equal(fp.unscoredReason(face(0.79, 0.99)), 'low_confidence');
});
