/**
 * Grafana's gauge panel as SVG: an arc from the field's min to max filled up to the value in its
 * threshold colour, the threshold bands as a thin outer arc (showThresholdMarkers), the value in
 * the middle; one gauge per series, named when there are several.
 */
import { h, svg } from '../dom.js';
import { steps } from '../display.js';
import { fitText, reducedValues } from './stat.js';

const SWEEP = 240;
const START = 150; // degrees clockwise from 3 o'clock: lower left, through the top, to lower right

function point(cx, cy, r, degrees) {
  const a = (degrees * Math.PI) / 180;
  return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
}

function arc(cx, cy, r, from, to) {
  const [x1, y1] = point(cx, cy, r, from);
  const [x2, y2] = point(cx, cy, r, to);
  return `M ${x1.toFixed(2)} ${y1.toFixed(2)} A ${r} ${r} 0 ${to - from > 180 ? 1 : 0} 1 ${x2.toFixed(2)} ${y2.toFixed(2)}`;
}

function gauge(value, defaults, markers, name) {
  const min = defaults.min ?? 0;
  const max = defaults.max ?? 100;
  const at = (v) => START + (SWEEP * (Math.min(max, Math.max(min, v)) - min)) / (max - min || 1);
  const [cx, cy, r] = [100, 100, 80];
  const bands = markers
    ? steps(defaults).map((step, i, list) => {
        const from = at(Math.max(min, step.value));
        const to = at(i + 1 < list.length ? list[i + 1].value : max);
        return to > from ? svg('path', { d: arc(cx, cy, r + 9, from, to), stroke: step.color, 'stroke-width': 4, fill: 'none' }) : null;
      })
    : [];
  return svg(
    'svg',
    { viewBox: '0 0 200 170', class: 'gauge-svg', role: 'img', 'aria-label': `${name}: ${value.text}` },
    bands,
    svg('path', { d: arc(cx, cy, r - 6, START, START + SWEEP), stroke: 'rgba(204, 204, 220, 0.12)', 'stroke-width': 16, fill: 'none' }),
    value.value > min ? svg('path', { d: arc(cx, cy, r - 6, START, at(value.value)), stroke: value.color, 'stroke-width': 16, fill: 'none' }) : null,
    svg('text', { x: cx, y: cy + 10, 'text-anchor': 'middle', class: 'stat-value gauge-value', fill: value.color, 'font-size': fitText(value.text, 120, 60, 0.7) }, value.text),
  );
}

/** Draws a gauge panel; returns its state. */
export function renderGauge(body, panel, results) {
  const values = reducedValues(panel, results);
  if (values.length === 0) return { state: 'no-data', points: 0 };
  const defaults = panel.fieldConfig?.defaults ?? {};
  const markers = panel.options?.showThresholdMarkers !== false;
  body.append(
    h(
      'div',
      { class: 'gauges' },
      values.map((v) => h('div', { class: 'gauge', dataset: { series: v.name, value: String(v.value) } }, gauge(v, defaults, markers, v.name), values.length > 1 ? h('div', { class: 'stat-name' }, v.name) : null)),
    ),
  );
  return { state: 'drawn', points: values.length };
}
