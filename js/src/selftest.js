// The bundle self-test: run every model of a bundle on the inputs stored in its checks/
// folder, on the chosen backend, and compare with the Keras outputs stored beside them.
// Python counterpart: converter/verify.py (the same check, in Node on cpu and wasm).
import * as tf from '@tensorflow/tfjs';

import { startBackend } from './backend.js';
import { fetchVerified, loadManifest, loadModel, modelInput, runModel, urlSource } from './bundle.js';
import { expectedPoints } from './score.js';

function f32(bytes) {
  return new Float32Array(bytes.slice().buffer);
}

function expectedRows(probs, classes) {
  return Array.from({ length: probs.length / classes }, (_, r) => expectedPoints(probs.subarray(r * classes, (r + 1) * classes)));
}

/** Tolerance a model is held to on `backend`, read from the manifest (never re-typed here). */
function toleranceFor(manifest, name, backend) {
  const entry = manifest.models[name];
  const tol = manifest.checks.tolerances[entry.quantization || manifest.quantization];
  const maxDiff = backend === 'webgl' ? Math.max(tol.max_diff, manifest.checks.webgl_max_diff) : tol.max_diff;
  return { maxDiff, scorePoints: tol.score_points };
}

/**
 * Run the self-test. Resolves to {backend, fallbacks, passed, models: [{model, maxDiff,
 * scoreShift, tolerance, ms, passed}], numTensorsBefore, numTensorsAfter}.
 */
export async function runSelfTest(source, preferred, { wasmPaths, log = () => {} } = {}) {
  const bundle = typeof source === 'string' ? urlSource(source) : source;
  const { backend, failed } = await startBackend(preferred, { wasmPaths });
  log(`backend: ${backend}${failed.length ? ` (could not start: ${failed.map((f) => f.backend).join(', ')})` : ''}`);
  const manifest = await loadManifest(bundle);
  const files = await fetchVerified(bundle, manifest);
  log(`all ${manifest.files.length} files match their sha256`);
  const cases = JSON.parse(new TextDecoder().decode(files.get(manifest.checks.path)));
  const dir = manifest.checks.path.slice(0, manifest.checks.path.lastIndexOf('/') + 1);
  const numTensorsBefore = tf.memory().numTensors;
  const models = [];
  for (const [name, entry] of Object.entries(manifest.models)) {
    const model = await loadModel(entry, files);
    const tolerance = toleranceFor(manifest, name, backend);
    let maxDiff = 0;
    let scoreShift = null;
    let ms = 0;
    for (const c of cases.filter((k) => k.model === name)) {
      const pixels = new Uint8Array(files.get(dir + c.input));
      const x = modelInput(pixels, c.shape, entry.input);
      const start = performance.now();
      const out = runModel(model, entry, x);
      const got = Object.fromEntries(await Promise.all(Object.entries(out).map(async ([k, t]) => [k, await t.data()])));
      ms += performance.now() - start;
      x.dispose();
      Object.values(out).forEach((t) => t.dispose());
      for (const [outName, spec] of Object.entries(c.expected)) {
        const want = f32(files.get(dir + spec.file));
        if (want.length !== got[outName].length)
          throw new Error(`${name}.${outName}: ${got[outName].length} values, expected ${want.length}`);
        for (let i = 0; i < want.length; i += 1) maxDiff = Math.max(maxDiff, Math.abs(got[outName][i] - want[i]));
      }
      if (entry.role === 'scorer') {
        const classes = entry.score.num_classes;
        const a = expectedRows(got.probabilities, classes);
        const b = expectedRows(f32(files.get(dir + c.expected.probabilities.file)), classes);
        scoreShift = Math.max(scoreShift || 0, ...a.map((v, i) => Math.abs(v - b[i])));
      }
    }
    model.dispose();
    const passed = maxDiff <= tolerance.maxDiff && (scoreShift === null || scoreShift <= tolerance.scorePoints);
    models.push({ model: name, maxDiff, scoreShift, tolerance, ms, passed });
    log(`${name}: max diff ${maxDiff.toExponential(1)} ${passed ? 'ok' : 'OVER TOLERANCE'}`);
  }
  return {
    backend,
    fallbacks: failed,
    passed: models.every((m) => m.passed),
    models,
    numTensorsBefore,
    numTensorsAfter: tf.memory().numTensors,
  };
}
