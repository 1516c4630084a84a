// The bundle self-test: run every model of the served bundle on the inputs stored in its
// checks/ folder, on the chosen backend, and compare with the Keras outputs stored beside them.
// Python counterpart: converter/verify.py (the same check, in Node on cpu and wasm).
import { startBackend } from './backend.js';
import { fetchVerified, loadManifest, loadModel, modelInput, runModel } from './bundle.js';

const tf = globalThis.tf;
const BASE = '/bundle/';

function f32(bytes) { return new Float32Array(bytes.slice(0)); }

function expectedPoints(probs, classes) {
  // sum_k p_k * k for each row (Python: facepack.spec.expected_points)
  const rows = probs.length / classes;
  return Array.from({ length: rows }, (_, r) => {
    let s = 0;
    for (let k = 0; k < classes; k += 1) s += probs[r * classes + k] * k;
    return s;
  });
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
export async function runSelfTest(preferred, log = () => {}) {
  const { backend, failed } = await startBackend(preferred);
  log(`backend: ${backend}${failed.length ? ` (could not start: ${failed.map((f) => f.backend).join(', ')})` : ''}`);
  const manifest = await loadManifest(BASE);
  const files = await fetchVerified(BASE, manifest);
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
      const got = Object.fromEntries(await Promise.all(
        Object.entries(out).map(async ([k, t]) => [k, await t.data()])));
      ms += performance.now() - start;
      x.dispose();
      Object.values(out).forEach((t) => t.dispose());
      for (const [outName, spec] of Object.entries(c.expected)) {
        const want = f32(files.get(dir + spec.file));
        if (want.length !== got[outName].length) throw new Error(`${name}.${outName}: ${got[outName].length} values, expected ${want.length}`);
        for (let i = 0; i < want.length; i += 1) maxDiff = Math.max(maxDiff, Math.abs(got[outName][i] - want[i]));
      }
      if (entry.role === 'scorer') {
        const classes = entry.score.num_classes;
        const a = expectedPoints(got.probabilities, classes);
        const b = expectedPoints(f32(files.get(dir + c.expected.probabilities.file)), classes);
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
