// The model card: what the bundle's scorer, emotion model and detector are and how they measured, from its manifest.
import { $, el } from './dom.js';
import { LANGUAGES, date, emotionName, num, percent, t } from './i18n.js';

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

/** Which faces are scored (`gate`: the one in force), and what that rule measured, when the bundle carries it. */
function gateText(gate, report) {
  const text = t('card.gateText', { confidence: num(gate.min_confidence, 2), refined: num(gate.min_refined_confidence, 2) });
  const measured =
    report && report.rule.min_confidence === gate.min_confidence && report.rule.min_refined_confidence === gate.min_refined_confidence;
  if (!measured) return text;
  const { test } = report;
  return `${text} ${t('card.gateMeasured', {
    lost: num(test.faces_unscored),
    faces: num(test.faces),
    lostShare: percent(test.faces_unscored_rate, 2),
    passed: num(test.false_scored),
    falses: num(test.false),
    passedShare: percent(test.false_scored_rate, 2),
  })}`;
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

/**
 * The rating scale {low, high} of a scorer trained on a user's own ratings (`python -m training
 * fit --ratings`), or null for SCUT-FBP5500's: where it is set, the SCUT-FBP5500 texts do not apply.
 */
export function ownScale(manifest) {
  const report = manifest.models.scorer.provenance.training_report;
  return (report && report.scale) || null;
}

/** The card for `manifest` (and the gate in force) in #card, and the untrained-scorer warning in #warning. */
export function showCard(manifest, gate = manifest.gate) {
  const scorer = manifest.models.scorer;
  const report = scorer.provenance.training_report;
  const scale = ownScale(manifest);
  const facts = [
    ['card.score', scale ? t('card.scoreTextOwn', { low: num(scale.low), high: num(scale.high) }) : t('card.scoreText')],
    ['card.scorer', scorerText(scorer)],
  ];
  if (report && scale) {
    const m = report.test_metrics.expected;
    const perUnit = (scale.high - scale.low) / 5; // training's unit is points / 20: back onto the user's scale
    facts.push(['card.trainedOn', t('card.trainedOnOwnText', { data: report.data, n: num(report.n_train) })]);
    facts.push([
      'card.test',
      t('card.testOwnText', {
        pc: num(m.pc, 3),
        mae: num(m.mae * perUnit, 3),
        rmse: num(m.rmse * perUnit, 3),
        low: num(scale.low),
        high: num(scale.high),
        n: num(m.n),
      }),
    ]);
  } else if (report) {
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
  facts.push(['card.gate', gateText(gate, manifest.gate_report)]);
  facts.push(['card.bundle', t('card.bundleText', { date: date(manifest.created_utc), version: manifest.generator.facepack })]);
  facts.push(['card.selftest', el('span', {}, el('a', { href: 'selftest.html' }, t('card.selftest')), ': ', t('card.selftestText'))]);
  const rows = facts.map(([key, value]) => el('tr', {}, el('th', { scope: 'row' }, t(key)), el('td', {}, value)));
  $('card').replaceChildren(el('table', { className: 'card' }, el('tbody', {}, ...rows)));
  $('warning').hidden = scorer.trained;
  if (!scorer.trained) $('warning').textContent = t('card.untrained');
}
