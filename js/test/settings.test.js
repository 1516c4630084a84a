// settings.js: a manifest value this code does not implement is refused, naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkGate, checkSettings } from '../src/settings.js';

const manifest = () => ({
  images: { max_pixels: 100e6, orientation: 'exif', color_profile: 'ignored', channels: 'RGB' },
  detector: {
    min_face_size: 20,
    min_size: 12,
    scale_factor: 0.709,
    nms_pnet_method: 'union',
    nms_rnet_method: 'union',
    nms_onet_method: 'min',
    onet_refinements: 3,
    pnet_stride: 2,
    pnet_window_start: 1,
    pnet_window_end: 12,
    pixel_offset: 127.5,
    pixel_divisor: 128,
    pyramid_resize: 'area',
    patch_resize: 'bilinear',
    rnet_size: 24,
    onet_size: 48,
    max_side: 1024,
  },
  gate: { min_confidence: 0.8, min_refined_confidence: 0.5 },
  live: { keyframe_every: 10, margin: 0.1, smoothing: 0.5, score_every: 5, edge: 0.01 },
  models: {
    pnet: {
      role: 'detector',
      quantization: 'none',
      input: {
        name: 'input',
        shape: [null, null, null, 3],
        channel_order: 'RGB',
        normalization: 'outside_graph',
        pixel_offset: 127.5,
        pixel_divisor: 128,
      },
      outputs: ['regression', 'probability'],
      output_nodes: { regression: 'Identity', probability: 'Identity_1' },
    },
    scorer: {
      role: 'scorer',
      quantization: 'source',
      input: { name: 'input', shape: [null, 150, 150, 3], channel_order: 'RGB', normalization: 'in_graph', value_range: [0, 255] },
      outputs: ['probabilities'],
      output_nodes: { probabilities: 'Identity' },
      crop: { anchor: 'landmarks', size: 3.2, output: 150, fill: 0, resize: 'bilinear', rotate: 'eyes' },
      score: { num_classes: 101, points_per_rating: 20, interval: [0.1, 0.9] },
    },
    emotion: {
      role: 'emotion',
      quantization: 'none',
      input: { name: 'input', shape: [null, 64, 64, 3], channel_order: 'RGB', normalization: 'in_graph', value_range: [0, 255] },
      outputs: ['probabilities'],
      output_nodes: { probabilities: 'Identity' },
      crop: { anchor: 'box', size: 1.2, output: 64, fill: 0, resize: 'bilinear', rotate: 'none' },
      labels: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'],
    },
  },
  checks: {
    tolerances: { source: { max_diff: 1e-4, score_points: 0.05 }, none: { max_diff: 1e-4, score_points: 0.05 } },
    webgl_max_diff: 1e-3,
  },
  results: {
    csv: [
      ['photo', null],
      ['x1', 2],
      ['score', 3],
    ],
  },
});

test('the shipped settings pass', () => {
  assert.doesNotThrow(() => checkSettings(manifest()));
});

for (const [where, change, message] of [
  [
    'images.orientation',
    (m) => {
      m.images.orientation = 'none';
    },
    /images\.orientation "none" is not supported/,
  ],
  [
    'images.channels',
    (m) => {
      m.images.channels = 'BGR';
    },
    /images\.channels "BGR"/,
  ],
  [
    'detector.nms_onet_method',
    (m) => {
      m.detector.nms_onet_method = 'greedy';
    },
    /detector\.nms_onet_method "greedy"/,
  ],
  [
    'detector.pyramid_resize',
    (m) => {
      m.detector.pyramid_resize = 'bilinear';
    },
    /detector\.pyramid_resize "bilinear"/,
  ],
  [
    'detector.pnet_stride',
    (m) => {
      m.detector.pnet_stride = 0;
    },
    /detector\.pnet_stride must be a positive integer/,
  ],
  [
    'detector.pnet_window_start',
    (m) => {
      m.detector.pnet_window_start = 12;
    },
    /pnet_window_start 12 must be an integer below/,
  ],
  [
    'gate.min_refined_confidence',
    (m) => {
      m.gate.min_refined_confidence = 1.5;
    },
    /gate\.min_refined_confidence must be a number from 0 to 1, not 1\.5/,
  ],
  [
    'gate',
    (m) => {
      delete m.gate;
    },
    /gate must be \{min_confidence, min_refined_confidence\}/,
  ],
  [
    'live.score_every',
    (m) => {
      m.live.score_every = 0;
    },
    /live\.score_every must be a positive integer/,
  ],
  [
    'live.smoothing',
    (m) => {
      m.live.smoothing = 1;
    },
    /live\.smoothing must be a number from 0 to below 1/,
  ],
  [
    'models.scorer.crop.rotate',
    (m) => {
      m.models.scorer.crop.rotate = 'nose';
    },
    /models\.scorer\.crop\.rotate nose/,
  ],
  [
    'models.emotion.crop.resize',
    (m) => {
      m.models.emotion.crop.resize = 'area';
    },
    /models\.emotion\.crop\.resize area/,
  ],
  [
    'models.emotion.input.normalization',
    (m) => {
      m.models.emotion.input.normalization = 'z_score';
    },
    /models\.emotion\.input\.normalization "z_score"/,
  ],
  [
    'models.scorer.input.value_range',
    (m) => {
      m.models.scorer.input.value_range = [0, 1];
    },
    /models\.scorer\.input\.value_range \[0,1\] is not supported/,
  ],
  [
    'models.pnet.input.channel_order',
    (m) => {
      m.models.pnet.input.channel_order = 'BGR';
    },
    /models\.pnet\.input\.channel_order "BGR"/,
  ],
  [
    'models.pnet.output_nodes',
    (m) => {
      delete m.models.pnet.output_nodes.probability;
    },
    /models\.pnet\.output_nodes .* must name a graph node for each output/,
  ],
  [
    'models.emotion.role',
    (m) => {
      m.models.emotion.role = 'age';
    },
    /models\.emotion\.role "age"/,
  ],
  [
    'models.emotion.labels',
    (m) => {
      m.models.emotion.labels = [];
    },
    /models\.emotion\.labels \[\] must be a list of class names/,
  ],
  [
    'checks.tolerances',
    (m) => {
      delete m.checks.tolerances.source;
    },
    /checks\.tolerances "source" has no tolerance/,
  ],
  [
    'checks.tolerances.none.max_diff',
    (m) => {
      m.checks.tolerances.none.max_diff = 0;
    },
    /checks\.tolerances\.none\.max_diff must be a positive number/,
  ],
  [
    'results.csv',
    (m) => {
      m.results.csv.push(['age', 1]);
    },
    /results\.csv "age" is not a column this facepack writes/,
  ],
  [
    'results.csv.x1',
    (m) => {
      m.results.csv[1][1] = -1;
    },
    /results\.csv\.x1 -1 must be null or a number of decimals/,
  ],
  [
    'an unknown field',
    (m) => {
      m.heads = {};
    },
    /heads \{\} is not a field this facepack reads/,
  ],
]) {
  test(`${where} it does not implement is refused`, () => {
    const m = manifest();
    change(m);
    assert.throws(() => checkSettings(m), message);
  });
}

test('a score interval that is not two quantiles is refused', () => {
  const m = manifest();
  m.models.scorer.score.interval = [0.9, 0.1];
  assert.throws(() => checkSettings(m), /models\.scorer\.score\.interval \[0\.9,0\.1\]/);
});

test('a load option may give one gate threshold, but not an unknown one or one out of range', () => {
  assert.doesNotThrow(() => checkGate({ min_refined_confidence: 0.3 }, 'options.gate', true));
  assert.throws(
    () => checkGate({ min_confidence: -0.1 }, 'options.gate', true),
    /options\.gate\.min_confidence must be a number from 0 to 1/,
  );
  assert.throws(() => checkGate({ threshold: 0.9 }, 'options.gate', true), /options\.gate has no setting threshold/);
  assert.throws(() => checkGate({ min_confidence: 0.9 }), /gate\.min_refined_confidence must be a number/);
});
