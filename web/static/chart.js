// The score chart: the 101 probabilities as SVG bars, the interval shaded, the expected score marked.
import { num } from './i18n.js';

const CHART = { bars: 101, barWidth: 3, height: 64 }; // one bar per point 0..100

const svgEl = (tag, attrs = {}) => {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
};

/** The 101 probabilities as bars, the interval shaded, the expected score marked. */
export function scoreChart(score) {
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
