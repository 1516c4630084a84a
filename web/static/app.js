// The analysis page: photos (chosen, dropped, or the samples) or the webcam, analysed in this
// browser by the facepack package. Nothing is uploaded: files are decoded here, the server only
// sends the page, TF.js and the bundle. Every word comes from i18n.js's tables.
// ?backend=wasm picks the backend (default auto: webgl on a hardware GPU, else wasm);
// ?threads=0 keeps WASM on one thread. window.facepack holds the loaded Facepack,
// window.facepackStatus the page state and window.facepackResults the results (the tests read them).
import { CHOICES, Facepack, LiveTracker, cropPixels, decodeImage, rgbPixels } from 'facepack';

import { LANGUAGES, chooseLanguage, date, errorText, num, percent, setLanguage, t, translatePage } from './i18n.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const BUNDLE = 'bundle/';
const SAMPLES = ['sample1.jpg', 'sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample5.jpg', 'sample6.jpg'];
// A displayed photo is drawn at most this wide (the analysis always uses every pixel).
const DISPLAY_MAX_SIDE = 1600;
const STAGES = ['pixels', 'pnet', 'rnet', 'onet', 'scorer', 'emotion', 'total'];
const CHART = { bars: 101, barWidth: 3, height: 64 }; // the score chart: one bar per point 0..100

let fp = null;
let queue = Promise.resolve();
let status = { state: 'loading', key: 'status.loading', params: {} };
const entries = []; // one per photo: {record, canvas, crops, timings, backend}; newest first on the page

// ------------------------------------------------------------------------------------ helpers
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node && !key.startsWith('aria')) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

const svgEl = (tag, attrs = {}) => {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
};

// A parameter may be a function, so the status is worded again when the language changes.
const statusText = () =>
  t(status.key, Object.fromEntries(Object.entries(status.params).map(([k, v]) => [k, typeof v === 'function' ? v() : v])));

function setStatus(state, key, values = {}) {
  status = { state, key, params: values };
  $('status').dataset.state = state;
  $('status').textContent = statusText();
  window.facepackStatus = { state, text: $('status').textContent };
}

const facesText = (n) => (n === 0 ? t('faces.none') : t('faces.count', { count: n }));
const emotionName = (label) => t(`emotion.${label}`);

function download(name, blob) {
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ------------------------------------------------------------------------------ the drawings
/** Boxes, landmarks and "n · score" labels over the photo (language-free, so a saved PNG is too). */
function drawFaces(ctx, faces, scale) {
  const line = Math.max(2, Math.round(Math.max(ctx.canvas.width, ctx.canvas.height) / 400));
  ctx.lineWidth = line;
  ctx.font = `${8 * line}px system-ui, sans-serif`;
  faces.forEach((f, i) => {
    const [x1, y1, x2, y2] = f.box.map((v) => v * scale);
    ctx.strokeStyle = '#19e07a';
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    ctx.fillStyle = '#ff3b6b';
    for (const [x, y] of f.landmarks) {
      ctx.beginPath();
      ctx.arc(x * scale, y * scale, 1.5 * line, 0, 2 * Math.PI);
      ctx.fill();
    }
    const label = f.score ? `${i + 1} · ${Math.round(f.score.expected)}` : `${i + 1}`;
    const w = ctx.measureText(label).width + 2 * line;
    ctx.fillStyle = 'rgba(0, 0, 0, 0.65)';
    ctx.fillRect(x1, Math.max(0, y1 - 10 * line), w, 10 * line);
    ctx.fillStyle = '#fff';
    ctx.fillText(label, x1 + line, Math.max(0, y1 - 10 * line) + 8 * line);
  });
}

/** The crop the scorer saw, as a canvas (float RGB from the package's own crop rule). */
function cropCanvas(pixels, face, rule) {
  const size = rule.output;
  const rgb = cropPixels(pixels, [face], rule);
  const image = new ImageData(size, size);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    image.data[j] = rgb[i];
    image.data[j + 1] = rgb[i + 1];
    image.data[j + 2] = rgb[i + 2];
    image.data[j + 3] = 255;
  }
  const canvas = el('canvas', { width: size, height: size, className: 'crop' });
  canvas.getContext('2d').putImageData(image, 0, 0);
  return canvas;
}

/** The 101 probabilities as bars, the interval shaded, the expected score marked. */
function scoreChart(score) {
  const { bars, barWidth, height } = CHART;
  const top = Math.max(...score.probs);
  const svg = svgEl('svg', { viewBox: `0 0 ${bars * barWidth} ${height + 16}`, class: 'chart', role: 'img' });
  svg.dataset.expected = score.expected;
  svg.dataset.low = score.interval[0];
  svg.dataset.high = score.interval[1];
  const [low, high] = score.interval;
  svg.append(svgEl('rect', { x: low * barWidth, y: 0, width: (high - low + 1) * barWidth, height, class: 'interval' }));
  score.probs.forEach((p, k) => {
    const h = top > 0 ? (p / top) * height : 0;
    const bar = svgEl('rect', { x: k * barWidth, y: height - h, width: barWidth - 0.5, height: h, class: 'bar' });
    bar.dataset.p = p;
    svg.append(bar);
  });
  const x = score.expected * barWidth + barWidth / 2;
  svg.append(svgEl('line', { x1: x, x2: x, y1: 0, y2: height, class: 'expected' }));
  for (const tick of [0, 50, 100]) {
    const label = svgEl('text', { x: tick * barWidth + (tick === 100 ? barWidth : 0), y: height + 15, class: 'tick' });
    label.setAttribute('text-anchor', tick === 0 ? 'start' : tick === 100 ? 'end' : 'middle');
    label.textContent = num(tick);
    svg.append(label);
  }
  return svg;
}

// -------------------------------------------------------------------------------- the results
function faceCard(face, i, crop) {
  const s = face.score;
  const emotionProbability = Math.max(...face.emotion.probs);
  const chart = scoreChart(s);
  chart.setAttribute(
    'aria-label',
    t('face.chartAlt', { score: num(s.expected), argmax: num(s.argmax), low: num(s.interval[0]), high: num(s.interval[1]) }),
  );
  crop.setAttribute('role', 'img');
  crop.setAttribute('aria-label', t('face.cropAlt', { n: i + 1 }));
  const lines = [
    el('p', { className: 'score', dataset: { score: s.expected } }, t('face.score', { score: num(s.expected) })),
    el('p', { className: 'interval' }, t('face.interval', { low: num(s.interval[0]), high: num(s.interval[1]) })),
  ];
  if (s.percentile !== null) {
    lines.push(
      el(
        'p',
        { className: 'percentile small', dataset: { percentile: s.percentile } },
        t('face.percentile', { percent: percent(s.percentile / 100) }),
      ),
    );
  }
  lines.push(el('p', {}, t('face.emotion', { emotion: emotionName(face.emotion.label), probability: percent(emotionProbability) })));
  lines.push(el('p', { className: 'small' }, t('face.confidence', { confidence: num(face.confidence, 3) })));
  return el(
    'article',
    { className: 'face', dataset: { face: i } },
    el('h4', {}, t('face.title', { n: i + 1 })),
    el(
      'div',
      { className: 'face-body' },
      crop,
      el('figure', {}, chart, el('figcaption', { className: 'small' }, t('face.chartLabel'))),
      el('div', {}, ...lines),
    ),
  );
}

function timingsTable(timings) {
  const rows = STAGES.filter((k) => k in timings).map((k) => el('tr', {}, el('td', {}, t(`stage.${k}`)), el('td', {}, num(timings[k], 1))));
  return el(
    'table',
    { className: 'timings' },
    el('thead', {}, el('tr', {}, el('th', {}, t('results.stage')), el('th', {}, t('results.ms')))),
    el('tbody', {}, ...rows),
  );
}

function resultCard(entry) {
  const { record } = entry;
  if (record.error) return el('div', { className: 'result' }, el('h3', { className: 'bad' }, errorText(entry.error)));
  const faces = facesText(record.faces.length);
  const heading = t('results.heading', {
    name: record.photo,
    faces,
    width: record.width,
    height: record.height,
    backend: entry.backend,
    ms: num(entry.timings.total, 0),
  });
  entry.canvas.setAttribute('role', 'img');
  entry.canvas.setAttribute('aria-label', t('results.imageAlt', { name: record.photo, faces }));
  const save = el('button', { type: 'button', className: 'save-png' }, t('results.downloadPng'));
  save.addEventListener('click', () =>
    entry.canvas.toBlob((blob) => download(`${record.photo.replace(/\.[^.]+$/, '')}-facepack.png`, blob), 'image/png'),
  );
  const details = el('details', {}, el('summary', {}, t('results.timings')), timingsTable(entry.timings));
  return el(
    'div',
    { className: 'result' },
    el('h3', {}, heading),
    entry.canvas,
    el('p', { className: 'buttons' }, save),
    ...record.faces.map((f, i) => faceCard(f, i, entry.crops[i])),
    details,
  );
}

function renderResults() {
  $('results').replaceChildren(...entries.map(resultCard));
  $('empty').hidden = entries.length > 0;
  $('downloads').hidden = entries.length === 0;
  window.facepackResults = entries.map((e) => e.record);
}

// ------------------------------------------------------------------------ results to keep
/** The results as the command lines write them: one JSON list of records. */
function resultsJson() {
  return JSON.stringify(entries.map((e) => e.record).reverse(), null, 1);
}

/** One row per face, the columns and decimals of the manifest's results.csv (spec.RESULT_CSV). */
function resultsCsv() {
  const columns = fp.manifest.results.csv;
  const quote = (v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [columns.map(([name]) => name).join(',')];
  for (const { record } of [...entries].reverse()) {
    const base = { photo: record.photo, width: record.width ?? '', height: record.height ?? '', error: record.error ?? '' };
    const faces = record.faces && record.faces.length ? record.faces : [null];
    faces.forEach((f, i) => {
      const values = f
        ? {
            ...base,
            face: i + 1,
            x1: f.box[0],
            y1: f.box[1],
            x2: f.box[2],
            y2: f.box[3],
            confidence: f.confidence,
            score: f.score.expected,
            score_low: f.score.interval[0],
            score_high: f.score.interval[1],
            percentile: f.score.percentile,
            score_argmax: f.score.argmax,
            emotion: f.emotion.label,
            emotion_probability: Math.max(...f.emotion.probs),
          }
        : base;
      lines.push(
        columns
          .map(([name, decimals]) => {
            const v = values[name];
            if (v === undefined || v === null) return '';
            return quote(decimals === null ? String(v) : v.toFixed(decimals));
          })
          .join(','),
      );
    });
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------- analysis
async function analyzeBlob(blob, name) {
  setStatus('running', 'status.analysing', { name });
  let bitmap;
  try {
    bitmap = await decodeImage(blob, name);
    const pixels = rgbPixels(bitmap, fp.manifest.images);
    const faces = await fp.analyze(pixels);
    const scale = Math.min(1, DISPLAY_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = el('canvas', { width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale), className: 'photo' });
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    drawFaces(ctx, faces, scale);
    const crops = faces.map((f) => cropCanvas(pixels, f, fp.manifest.models.scorer.crop));
    entries.unshift({
      record: { photo: name, width: bitmap.width, height: bitmap.height, faces },
      canvas,
      crops,
      timings: { ...fp.timings },
      backend: fp.backend,
    });
    renderResults();
    setStatus('ready', 'status.done', { name, faces: () => facesText(faces.length) });
    return faces;
  } catch (err) {
    entries.unshift({ record: { photo: name, error: err.message }, error: err });
    renderResults();
    setStatus('ready', 'status.done', { name, faces: () => errorText(err) });
    return null;
  } finally {
    if (bitmap) bitmap.close();
  }
}

// Photos are analysed one after another; a failed one does not stop the rest.
function enqueue(blob, name) {
  queue = queue.then(() => analyzeBlob(blob, name));
  return queue;
}

function enqueueFiles(files) {
  for (const file of files) enqueue(file, file.name);
}

async function loadSample(name) {
  const response = await fetch(`samples/${name}`);
  if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
  return enqueue(await response.blob(), name);
}

// ------------------------------------------------------------------------------------ webcam
let live = null;

async function startWebcam() {
  if (live) {
    live.stop();
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  } catch (err) {
    setStatus('error', 'error.webcam', { detail: err.message });
    return;
  }
  const video = $('video');
  video.srcObject = stream;
  await video.play();
  $('live').hidden = false;
  $('webcam').dataset.i18n = 'controls.webcamStop';
  $('webcam').textContent = t('controls.webcamStop');
  let running = true;
  live = {
    stop() {
      running = false;
      stream.getTracks().forEach((track) => track.stop());
      $('live').hidden = true;
      $('webcam').dataset.i18n = 'controls.webcam';
      $('webcam').textContent = t('controls.webcam');
      live = null;
    },
  };
  const canvas = $('live-canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  // Live mode: the full cascade on keyframes, tracking in between; scores and emotion smoothed.
  const tracker = new LiveTracker(fp);
  const recent = []; // frame end times over the last second, for frames per second
  while (running) {
    ctx.drawImage(video, 0, 0);
    const frame = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const result = await tracker.step(frame);
    ctx.putImageData(frame, 0, 0);
    drawFaces(
      ctx,
      result.faces.map((f) => ({ ...f, score: { expected: f.shown.score } })),
      1,
    );
    const now = performance.now();
    recent.push(now);
    while (recent[0] < now - 1000) recent.shift();
    const emotions = result.faces.map((f) => emotionName(f.shown.emotion)).join(', ');
    $('live-info').textContent = t('live.info', {
      faces: facesText(result.faces.length),
      fps: num(recent.length),
      ms: num(tracker.timings.total, 0),
      backend: fp.backend,
      emotions: emotions || '–',
    });
    await new Promise(requestAnimationFrame);
  }
}

// ----------------------------------------------------------------------------- model card
function emotionText(emotion) {
  const { provenance } = emotion;
  const text = t('card.emotionText', {
    source: provenance.source,
    data: provenance.data,
    labels: emotion.labels.map(emotionName).join(', '),
  });
  const accuracy = provenance.training_report; // a model trained by `python -m training emotion`
  if (!accuracy) return text;
  const splits = Object.entries(accuracy).map(([split, value]) => `${split} ${num(value, 3)}`);
  return `${text}; ${t('card.emotionAccuracy', { splits: splits.join(', ') })}`;
}

function detectorText(provenance) {
  const test = provenance.training_report && provenance.training_report.test; // `python -m training detector`
  if (!test) return t('card.detectorText', { source: provenance.source });
  return t('card.detectorTrainedText', {
    source: provenance.source,
    data: provenance.data,
    n: num(test.photos),
    recall: num(test.recall, 3),
    falses: num(test.false_per_photo, 3),
    landmarks: test.landmark_error ? num(test.landmark_error.mean, 3) : '—',
  });
}

function scorerText(scorer) {
  const { provenance } = scorer;
  const arch = provenance.architecture;
  if (!arch) return provenance.source;
  // A backbone this page knows is named in the page's language, any other as the manifest says.
  const name = (b) => (`backbone.${b}` in LANGUAGES.en ? t(`backbone.${b}`) : provenance.backbones[b]);
  const branches = arch.branches.map((b, i) => `${name(b)}${arch.branches.length > 1 ? ` (${percent(arch.weights[i])})` : ''}`);
  const layers = provenance.trained_layers;
  return t('card.scorerText', {
    branches: branches.join(' + '),
    crop: t(scorer.crop.rotate === 'eyes' ? 'card.cropLevelled' : 'card.cropUpright'),
    mirror: arch.mirror ? t('card.mirror') : '',
    layers: layers
      ? t('card.layers', {
          count: num(layers.count),
          data: layers.data,
          uint8: num(layers.storage.uint8),
          float16: num(layers.storage.float16),
          budget: num(layers.storage.budget_points, 1),
        })
      : t('card.layersNone'),
  });
}

function showCard(manifest) {
  const scorer = manifest.models.scorer;
  const report = scorer.provenance.training_report;
  const facts = [
    ['card.score', t('card.scoreText')],
    ['card.scorer', scorerText(scorer)],
  ];
  if (report) {
    const m = report.test_metrics.expected;
    facts.push(['card.trainedOn', t('card.trainedOnText', { n: num(report.n_train) })]);
    facts.push(['card.test', t('card.testText', { pc: num(m.pc, 3), mae: num(m.mae, 3), rmse: num(m.rmse, 3), n: num(m.n) })]);
    const groups = Object.fromEntries(Object.entries(report.per_subgroup_pc).map(([g, v]) => [g, num(v, 3)]));
    facts.push(['card.groups', t('card.groupsText', groups)]);
    if (report.cv5) facts.push(['card.cv5', t('card.cv5Text', { mean: num(report.cv5.pc.mean, 3), std: num(report.cv5.pc.std, 3) })]);
    if (report.robustness) {
      const items = Object.entries(report.robustness.conditions).map(([change, c]) =>
        el(
          'li',
          {},
          t('card.robustnessItem', {
            change: t(`change.${change}`),
            pc: num(c.pc, 3),
            mean: num(c.shift_mean, 1),
            p95: num(c.shift_p95, 1),
          }),
        ),
      );
      facts.push(['card.robustness', el('ul', {}, ...items)]);
    }
  }
  facts.push(['card.not', t('card.notText')]);
  facts.push(['card.emotion', emotionText(manifest.models.emotion)]);
  facts.push(['card.detector', detectorText(manifest.models.pnet.provenance)]);
  facts.push(['card.bundle', t('card.bundleText', { date: date(manifest.created_utc), version: manifest.generator.facepack })]);
  facts.push(['card.selftest', el('span', {}, el('a', { href: 'selftest.html' }, t('card.selftest')), ': ', t('card.selftestText'))]);
  const rows = facts.map(([key, value]) => el('tr', {}, el('th', { scope: 'row' }, t(key)), el('td', {}, value)));
  $('card').replaceChildren(el('table', { className: 'card' }, el('tbody', {}, ...rows)));
  $('warning').hidden = scorer.trained;
  if (!scorer.trained) $('warning').textContent = t('card.untrained');
}

// ------------------------------------------------------------------------------------- start
function render() {
  translatePage();
  $('status').textContent = statusText();
  window.facepackStatus = { state: status.state, text: $('status').textContent };
  [...$('samples').children].forEach((b, i) => {
    b.textContent = t('controls.sample', { n: num(i + 1) });
  });
  if (fp) {
    showCard(fp.manifest);
    renderResults();
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
  if (!reason) reason = fp.backendReason.startsWith('WebGL is software') ? 'status.reason.softwareWebgl' : 'status.reason.gpu';
  const wasm = () => (fp.wasm ? t(fp.wasm.threads ? 'status.wasmThreads' : 'status.wasmOneThread') : '');
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
  fp = await Facepack.load(BUNDLE, {
    backend: wanted,
    wasmThreads: params.get('threads') !== '0',
    onProgress: (done, total) => setStatus('loading', 'status.checking', { done: () => num(done), total: () => num(total) }),
  });
  window.facepack = fp;
  for (const name of SAMPLES) {
    const b = el('button', { type: 'button' });
    b.addEventListener('click', () => loadSample(name));
    $('samples').append(b);
  }
  $('files').addEventListener('change', (e) => enqueueFiles(e.target.files));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    enqueueFiles(e.dataTransfer.files);
  });
  // The drop zone works from the keyboard: Enter or Space opens the file chooser.
  drop.addEventListener('keydown', (e) => {
    if ((e.key === 'Enter' || e.key === ' ') && e.target === drop) {
      e.preventDefault();
      $('files').click();
    }
  });
  $('webcam').addEventListener('click', startWebcam);
  $('download-json').addEventListener('click', () =>
    download('facepack-results.json', new Blob([resultsJson()], { type: 'application/json' })),
  );
  $('download-csv').addEventListener('click', () => download('facepack-results.csv', new Blob([resultsCsv()], { type: 'text/csv' })));
  render();
  readyStatus();
}

main().catch((err) => setStatus('error', 'status.error', { message: () => errorText(err) }));
