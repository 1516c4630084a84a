// The analysis page: photos (chosen, dropped, or the samples) or the webcam, analysed in this
// browser by facepack.js. Nothing is uploaded: files are decoded here, the server only sends
// the page, TF.js and the bundle.
// ?backend=wasm picks the backend (default auto: webgl on a hardware GPU, else wasm);
// ?threads=0 keeps WASM on one thread. window.facepack holds the loaded Facepack
// and window.facepackStatus the page state (the browser tests use both).
import { CHOICES, Facepack, decodeImage } from 'facepack';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const BASE = '/bundle/';
const SAMPLES = ['sample1.jpg', 'sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample5.jpg', 'sample6.jpg'];
// A displayed photo is drawn at most this wide (the analysis always uses every pixel).
const DISPLAY_MAX_SIDE = 1600;
const STAGES = [
  ['pixels', 'read pixels'],
  ['pnet', 'PNet (pyramid + proposals)'],
  ['rnet', 'RNet'],
  ['onet', 'ONet'],
  ['scorer', 'crop + scorer'],
  ['emotion', 'crop + emotion'],
  ['total', 'total'],
];

let fp = null;
let queue = Promise.resolve();

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text;
  window.facepackStatus = { state, text };
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  Object.assign(node, attrs);
  return node;
}

function table(head, body, cls) {
  const t = el('table', undefined, { className: cls || '' });
  const hr = t.createTHead().insertRow();
  head.forEach((h) => hr.appendChild(el('th', h)));
  const tb = t.createTBody();
  body.forEach((cells) => {
    const r = tb.insertRow();
    cells.forEach((c) => {
      r.insertCell().textContent = c;
    });
  });
  return t;
}

/** Boxes, landmarks and "score · emotion" labels over the photo. */
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
    const label = f.score ? `${i + 1}: ${Math.round(f.score.expected)} · ${f.emotion.label}` : `${i + 1}`;
    const w = ctx.measureText(label).width + 2 * line;
    ctx.fillStyle = 'rgba(0, 0, 0, 0.65)';
    ctx.fillRect(x1, Math.max(0, y1 - 10 * line), w, 10 * line);
    ctx.fillStyle = '#fff';
    ctx.fillText(label, x1 + line, Math.max(0, y1 - 10 * line) + 8 * line);
  });
}

function timingsTable(timings) {
  return table(
    ['stage', 'ms'],
    STAGES.filter(([k]) => k in timings).map(([k, name]) => [name, timings[k].toFixed(1)]),
    'timings',
  );
}

function showResult(name, bitmap, faces, timings) {
  const box = el('div', undefined, { className: 'result' });
  const found = faces.length === 0 ? 'no face found' : `${faces.length} face${faces.length > 1 ? 's' : ''}`;
  box.appendChild(el('h3', `${name}: ${found} (${bitmap.width}×${bitmap.height}, ${fp.backend}, ${timings.total.toFixed(0)} ms)`));
  const scale = Math.min(1, DISPLAY_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = el('canvas', undefined, { width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale) });
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  drawFaces(ctx, faces, scale);
  box.appendChild(canvas);
  if (faces.length) {
    box.appendChild(
      table(
        ['face', 'score (0-100)', 'most likely score', 'emotion', 'detector confidence'],
        faces.map((f, i) => [
          i + 1,
          f.score.expected.toFixed(1),
          f.score.argmax,
          `${f.emotion.label} (${(100 * Math.max(...f.emotion.probs)).toFixed(0)}%)`,
          f.confidence.toFixed(3),
        ]),
        'faces',
      ),
    );
  }
  const details = el('details');
  details.appendChild(el('summary', 'timings per stage'));
  details.appendChild(timingsTable(timings));
  box.appendChild(details);
  $('empty').hidden = true;
  $('results').prepend(box);
}

async function analyzeBlob(blob, name) {
  setStatus('running', `analysing ${name}...`);
  let bitmap;
  try {
    bitmap = await decodeImage(blob, name);
    const faces = await fp.analyze(bitmap);
    showResult(name, bitmap, faces, fp.timings);
    setStatus('ready', `${name}: ${faces.length} face(s)`);
    return faces;
  } catch (err) {
    const box = el('div', undefined, { className: 'result' });
    box.appendChild(el('h3', `${name}: ${err.message}`, { className: 'bad' }));
    $('results').prepend(box);
    setStatus('ready', `${name}: ${err.message}`);
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
  const response = await fetch(`/samples/${name}`);
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
    setStatus('ready', `webcam: ${err.message}`);
    return;
  }
  const video = $('video');
  video.srcObject = stream;
  await video.play();
  $('live').hidden = false;
  $('webcam').textContent = 'stop webcam';
  let running = true;
  live = {
    stop() {
      running = false;
      stream.getTracks().forEach((t) => t.stop());
      $('live').hidden = true;
      $('webcam').textContent = 'webcam';
      live = null;
    },
  };
  const canvas = $('live-canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d');
  while (running) {
    ctx.drawImage(video, 0, 0);
    const frame = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const faces = await fp.analyze(frame);
    ctx.putImageData(frame, 0, 0);
    drawFaces(ctx, faces, 1);
    $('live-info').textContent = `${faces.length} face(s), ${fp.timings.total.toFixed(0)} ms per frame on ${fp.backend}`;
    await new Promise(requestAnimationFrame);
  }
}

// ----------------------------------------------------------------------------- model card
function scorerDescription(scorer) {
  const { provenance } = scorer;
  const arch = provenance.architecture;
  if (!arch) return provenance.source;
  const branches = arch.branches.map(
    (b, i) => `${provenance.backbones[b]}${arch.branches.length > 1 ? ` (share ${arch.weights[i]})` : ''}`,
  );
  const crop = scorer.crop.rotate === 'eyes' ? 'face crop turned to level the eyes' : 'axis-aligned face crop';
  return (
    `${provenance.source}: ${branches.join(' + ')}; ${crop}${arch.mirror ? ', scored with its mirror image' : ''}; ` +
    `${provenance.trained_layers}`
  );
}

function showCard(manifest) {
  const scorer = manifest.models.scorer;
  const report = scorer.provenance.training_report;
  const card = $('card');
  const facts = [
    ['beauty score', `0-100: the expected value of a 101-way softmax, ${scorer.score.label_rule}`],
    ['scorer', scorerDescription(scorer)],
  ];
  if (report) {
    const m = report.test_metrics.expected;
    facts.push(['trained on', `${report.data}; ${report.n_train} training photos`]);
    facts.push([
      'test results',
      `Pearson ${m.pc.toFixed(3)}, MAE ${m.mae.toFixed(3)}, RMSE ${m.rmse.toFixed(3)} (ratings 1-5, ${m.n} test photos)`,
    ]);
    facts.push([
      'by group (Pearson)',
      Object.entries(report.per_subgroup_pc)
        .map(([g, v]) => `${g} ${v.toFixed(3)}`)
        .join(', '),
    ]);
    if (report.cv5) facts.push(['5-fold cross-validation', `Pearson ${report.cv5.pc.mean.toFixed(3)} ± ${report.cv5.pc.std.toFixed(3)}`]);
    if (report.robustness) {
      facts.push([
        'the same test photos, changed',
        Object.entries(report.robustness.conditions)
          .map(
            ([name, c]) =>
              `${name}: Pearson ${c.pc.toFixed(3)}, score moves ${c.shift_mean.toFixed(1)} points on average (95% within ${c.shift_p95.toFixed(1)})`,
          )
          .join('; '),
      ]);
    }
  }
  facts.push([
    'what it is not',
    "A measure of a person's worth. It mimics the average rating of 60 raters of one dataset, " +
      'of frontal, well-lit faces of Asian and Caucasian adults; for research and demonstration only.',
  ]);
  facts.push([
    'emotion',
    `${manifest.models.emotion.provenance.source}, trained on ${manifest.models.emotion.provenance.data}; ` +
      `labels ${manifest.models.emotion.labels.join(', ')}`,
  ]);
  facts.push(['detector', `MTCNN, ${manifest.models.pnet.provenance.source}`]);
  card.appendChild(table(['', ''], facts));
  if (!scorer.trained) {
    $('warning').hidden = false;
    $('warning').textContent = scorer.warning;
  }
}

// ------------------------------------------------------------------------------------- start
async function main() {
  for (const b of CHOICES) $('backend').add(new Option(b, b));
  const wanted = CHOICES.includes(params.get('backend')) ? params.get('backend') : 'auto';
  $('backend').value = wanted;
  $('backend').addEventListener('change', () => {
    location.search = `?backend=${$('backend').value}`;
  });
  fp = await Facepack.load(BASE, {
    backend: wanted,
    wasmThreads: params.get('threads') !== '0',
    onProgress: (done, total) => setStatus('loading', `checking bundle files: ${done}/${total}`),
  });
  window.facepack = fp;
  showCard(fp.manifest);
  for (const name of SAMPLES) {
    const b = el('button', name.replace('.jpg', ''), { type: 'button' });
    b.addEventListener('click', () => loadSample(name));
    $('samples').appendChild(b);
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
  $('webcam').addEventListener('click', startWebcam);
  const fell = fp.fallbacks.length ? ` (${fp.fallbacks.map((f) => f.backend).join(', ')} could not start)` : '';
  const wasm = fp.wasm ? ` (${fp.wasm.threads ? 'threads' : 'one thread'}${fp.wasm.simd ? ', SIMD' : ''})` : '';
  setStatus('ready', `ready on ${fp.backend}${wasm}: ${fp.backendReason}${fell}`);
}

main().catch((err) => setStatus('error', `error: ${err.message}`));
