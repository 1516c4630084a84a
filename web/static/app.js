// The analysis page's start-up: the language, the status line and the backend, then the bundle loaded and every control wired.
// Photos (chosen, dropped, or the samples) or the webcam are analysed in this browser by the
// facepack package. Nothing is uploaded: files are decoded here, the server only sends the page,
// TF.js and the bundle. Every word comes from i18n.js's tables.
// ?backend=wasm picks the backend (default auto: webgpu or webgl on a hardware GPU, else wasm);
// ?threads=N runs WASM on N threads (0: its build without threads); ?min-confidence=P and
// ?min-refined-confidence=P set the gate's thresholds (the bundle's otherwise). The analysis and live mode run
// in a Web Worker (worker.js), so the page never waits on them; ?worker=0 runs them on the page's
// own thread. window.facepack holds the loaded Facepack (or
// FacepackWorker), window.facepackStatus the page state and window.facepackResults the results
// (the tests read them).
import { CHOICES, Facepack, FacepackWorker } from 'facepack';

import { renderResults } from './cards.js';
import { $, el } from './dom.js';
import { downloadCsv, downloadJson } from './downloads.js';
import { LANGUAGES, chooseLanguage, errorText, num, setLanguage, t, translatePage } from './i18n.js';
import { webcamToggle } from './live-view.js';
import { showCard } from './model-card.js';
import { photoQueue } from './photo-queue.js';

const params = new URLSearchParams(location.search);
const BUNDLE = 'bundle/';
const SAMPLES = ['sample1.jpg', 'sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample5.jpg', 'sample6.jpg'];

let fp = null;
let status = { state: 'loading', key: 'status.loading', params: {} };
const entries = []; // one per photo: {record, canvas, crops, timings, backend}; newest first on the page

// A parameter may be a function, so the status is worded again when the language changes.
const statusText = () =>
  t(status.key, Object.fromEntries(Object.entries(status.params).map(([k, v]) => [k, typeof v === 'function' ? v() : v])));

function setStatus(state, key, values = {}) {
  status = { state, key, params: values };
  $('status').dataset.state = state;
  $('status').textContent = statusText();
  window.facepackStatus = { state, text: $('status').textContent };
}

function render() {
  translatePage();
  $('status').textContent = statusText();
  window.facepackStatus = { state: status.state, text: $('status').textContent };
  [...$('samples').children].forEach((b, i) => {
    b.textContent = t('controls.sample', { n: num(i + 1) });
  });
  if (fp) {
    showCard(fp.manifest, fp.gate);
    renderResults(entries);
  }
}

function setUpLanguage() {
  for (const [code, table] of Object.entries(LANGUAGES)) $('language').add(new Option(table['lang.name'], code));
  $('language').value = setLanguage(chooseLanguage());
  $('language').addEventListener('change', () => {
    setLanguage($('language').value, true);
    render();
  });
}

function readyStatus() {
  const reasons = { 'asked for': 'status.reason.asked', 'no WebGL': 'status.reason.noWebgl' };
  let reason = reasons[fp.backendReason];
  if (!reason && fp.backendReason.startsWith('WebGPU on')) reason = 'status.reason.webgpu';
  if (!reason) reason = fp.backendReason.startsWith('WebGL is software') ? 'status.reason.softwareWebgl' : 'status.reason.gpu';
  const wasm = () =>
    fp.wasm ? (fp.wasm.threadsCount > 1 ? t('status.wasmThreads', { count: num(fp.wasm.threadsCount) }) : t('status.wasmOneThread')) : '';
  const fallback = () => (fp.fallbacks.length ? t('status.fallback', { backends: fp.fallbacks.map((f) => f.backend).join(', ') }) : '');
  setStatus('ready', 'status.ready', { backend: fp.backend, wasm, reason: () => t(reason), fallback });
}

async function main() {
  setUpLanguage();
  render();
  setStatus('loading', 'status.loading');
  for (const b of CHOICES) $('backend').add(new Option(b, b));
  const wanted = CHOICES.includes(params.get('backend')) ? params.get('backend') : 'auto';
  $('backend').value = wanted;
  $('backend').addEventListener('change', () => {
    location.search = `?backend=${$('backend').value}`;
  });
  const gate = {};
  for (const [param, key] of [
    ['min-confidence', 'min_confidence'],
    ['min-refined-confidence', 'min_refined_confidence'],
  ]) {
    // '' or words would read as 0 or NaN: NaN is refused with the setting's name (settings.checkGate)
    if (params.has(param)) gate[key] = params.get(param).trim() === '' ? NaN : Number(params.get(param));
  }
  const options = {
    backend: wanted,
    gate,
    wasmThreads: params.has('threads') ? Number(params.get('threads')) || false : true,
    onProgress: (done, total) => setStatus('loading', 'status.checking', { done: () => num(done), total: () => num(total) }),
  };
  // The worker's script is served with its imports resolved by the app (web/app.py, /worker/).
  fp =
    params.get('worker') !== '0'
      ? await FacepackWorker.load(BUNDLE, { ...options, worker: new Worker('worker/static/worker.js', { type: 'module' }) })
      : await Facepack.load(BUNDLE, options);
  window.facepack = fp;
  const photos = photoQueue({ fp, entries, setStatus, showResults: () => renderResults(entries) });
  for (const name of SAMPLES) {
    const b = el('button', { type: 'button' });
    b.addEventListener('click', () => photos.loadSample(name));
    $('samples').append(b);
  }
  $('files').addEventListener('change', (e) => photos.enqueueFiles(e.target.files));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    photos.enqueueFiles(e.dataTransfer.files);
  });
  // The drop zone works from the keyboard: Enter or Space opens the file chooser.
  drop.addEventListener('keydown', (e) => {
    if ((e.key === 'Enter' || e.key === ' ') && e.target === drop) {
      e.preventDefault();
      $('files').click();
    }
  });
  $('webcam').addEventListener('click', webcamToggle({ fp, setStatus }));
  $('download-json').addEventListener('click', () => downloadJson(entries));
  $('download-csv').addEventListener('click', () => downloadCsv(entries, fp.manifest.results.csv));
  render();
  readyStatus();
}

main().catch((err) => setStatus('error', 'status.error', { message: () => errorText(err) }));
