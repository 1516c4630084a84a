// The result cards: per photo its heading, drawn photo, PNG button, face cards and timings, shown newest first.
import { scoreChart } from './chart.js';
import { $, el } from './dom.js';
import { downloadPng } from './downloads.js';
import { emotionName, errorText, facesText, num, percent, t } from './i18n.js';

const STAGES = ['pixels', 'pnet', 'rnet', 'onet', 'scorer', 'emotion', 'total'];

/** Which of the gate's thresholds the face missed, with its value (the refined one first: it separates). */
function unscoredWhy(face, gate) {
  if (face.refined_confidence < gate.min_refined_confidence) {
    return t('face.unscoredRefined', { confidence: num(face.refined_confidence, 3), threshold: num(gate.min_refined_confidence, 2) });
  }
  return t('face.unscoredWhy', { confidence: num(face.confidence, 3), threshold: num(gate.min_confidence, 2) });
}

/** A face the gate left unscored (it may not be a face): its crop and why, no score or emotion. */
function unscoredCard(face, i, crop, gate) {
  crop.setAttribute('role', 'img');
  crop.setAttribute('aria-label', t('face.cropAlt', { n: i + 1 }));
  return el(
    'article',
    { className: 'face unscored', dataset: { face: i, unscored: face.unscored } },
    el('h4', {}, t('face.title', { n: i + 1 })),
    el(
      'div',
      { className: 'face-body' },
      crop,
      el(
        'div',
        {},
        el('p', { className: 'unscored-reason' }, t('face.unscored')),
        el('p', { className: 'small' }, unscoredWhy(face, gate)),
      ),
    ),
  );
}

function faceCard(face, i, crop, gate, scale) {
  if (face.score === null) return unscoredCard(face, i, crop, gate);
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
        scale
          ? t('face.percentileOwn', { percent: percent(s.percentile / 100), low: num(scale.low), high: num(scale.high) })
          : t('face.percentile', { percent: percent(s.percentile / 100) }),
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
  save.addEventListener('click', () => downloadPng(entry.canvas, record.photo));
  const details = el('details', {}, el('summary', {}, t('results.timings')), timingsTable(entry.timings));
  return el(
    'div',
    { className: 'result' },
    el('h3', {}, heading),
    entry.canvas,
    el('p', { className: 'buttons' }, save),
    ...record.faces.map((f, i) => faceCard(f, i, entry.crops[i], entry.gate, entry.scale)),
    details,
  );
}

/** Every entry ({record, canvas, crops, timings, backend}, newest first) as a card in #results. */
export function renderResults(entries) {
  $('results').replaceChildren(...entries.map(resultCard));
  $('empty').hidden = entries.length > 0;
  $('downloads').hidden = entries.length === 0;
  window.facepackResults = entries.map((e) => e.record);
}
