// The self-test page (/selftest): bundle summary from the manifest, and the self-test on a chosen backend.
// ?backend=wasm&autorun=1 runs the self-test at load (the browser tests use this).
import { BACKENDS, loadManifest, runSelfTest, urlSource } from 'facepack';

const BUNDLE = 'bundle/';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

function setStatus(state, text) {
  const el = $('status');
  el.dataset.state = state;
  el.textContent = text;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

async function showManifest() {
  const manifest = await loadManifest(urlSource(BUNDLE));
  const sizes = {};
  for (const f of manifest.files) {
    const top = f.path.split('/')[0];
    sizes[top] = (sizes[top] || 0) + f.bytes;
  }
  const body = $('models').tBodies[0];
  for (const [name, entry] of Object.entries(manifest.models)) {
    const row = body.insertRow();
    cell(row, name);
    cell(row, entry.role);
    cell(row, JSON.stringify(entry.input.shape));
    cell(row, entry.quantization);
    cell(row, `${(sizes[entry.path.split('/')[0]] / 1e6).toFixed(2)} MB`);
    cell(row, `${entry.ops.total}`);
  }
  const scorer = manifest.models.scorer;
  if (scorer && !scorer.trained) {
    $('warning').hidden = false;
    $('warning').textContent = scorer.warning;
  }
  $('generator').textContent =
    `manifest v${manifest.version}, made ${manifest.created_utc} by facepack ${manifest.generator.facepack}, ` +
    `TensorFlow ${manifest.generator.tensorflow}, tensorflowjs ${manifest.generator.tensorflowjs}`;
}

function showResult(result) {
  const body = $('results').tBodies[0];
  body.replaceChildren();
  for (const m of result.models) {
    const row = body.insertRow();
    cell(row, m.model);
    cell(row, result.backend);
    cell(row, m.maxDiff.toExponential(2));
    cell(row, m.scoreShift === null ? '' : m.scoreShift.toFixed(3));
    cell(row, `${m.tolerance.maxDiff}`);
    cell(row, `${m.ms.toFixed(1)} ms`);
    cell(row, m.passed ? 'ok' : 'FAILED', m.passed ? 'ok' : 'bad');
  }
}

async function run() {
  const backend = $('backend').value;
  $('run').disabled = true;
  setStatus('running', `running on ${backend}...`);
  try {
    const log = (line) => {
      $('log').textContent += `${line}\n`;
    };
    const result = await runSelfTest(BUNDLE, backend, { log });
    window.selfTestResult = result;
    showResult(result);
    setStatus(
      'done',
      result.passed ? `all models match Keras on ${result.backend}` : `some models do not match Keras on ${result.backend}`,
    );
  } catch (err) {
    window.selfTestResult = { error: String(err && err.message ? err.message : err) };
    setStatus('error', `error: ${window.selfTestResult.error}`);
  } finally {
    $('run').disabled = false;
  }
}

for (const b of BACKENDS) $('backend').add(new Option(b, b));
$('backend').value = BACKENDS.includes(params.get('backend')) ? params.get('backend') : 'webgl';
$('run').addEventListener('click', run);
showManifest()
  .then(() => {
    setStatus('ready', 'ready');
    if (params.get('autorun') === '1') run();
  })
  .catch((err) => setStatus('error', `error: ${err.message}`));
