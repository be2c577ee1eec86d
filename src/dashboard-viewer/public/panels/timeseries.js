/**
 * Grafana's time series panel on uPlot: one line per series on the query step grid (gaps where a
 * step has no sample: spanNulls false), palette-classic or by-value threshold colours, fill
 * opacity, normal stacking, dashed or solid threshold lines, hard min/max, the unit on the y axis,
 * a list or table legend with its calculations, and a tooltip with every series' value at the
 * cursor (sorted as the panel says). With the dashboard's shared crosshair the cursor moves on
 * every panel at once.
 */
import uPlot from '/public/vendor/uPlot.esm.js';
import { h } from '../dom.js';
import { displayValue, PALETTE, reduce, steps } from '../display.js';
import { CALCS } from '../support.js';
import { seriesName } from '../templating.js';
import { formatValue } from '../units.js';

const AXIS = 'rgba(204, 204, 220, 0.65)';
const GRID = 'rgba(240, 250, 255, 0.09)';
const FONT = '11px DejaVu Sans, Helvetica, Arial, sans-serif';

/** `#rrggbb` with an alpha from 0 to 1. */
function alpha(hex, a) {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

/** Decimals of the y-axis ticks: enough to tell neighbouring ticks apart, unless the field sets them. */
function tickDecimals(ticks) {
  const increment = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  return increment >= 1 || increment === 0 ? 0 : Math.min(10, Math.ceil(-Math.log10(increment)));
}

/** A vertical gradient with hard stops at the threshold values: lines coloured by value. */
function byValue(u, defaults, opacity) {
  const { top, height } = u.bbox;
  const gradient = u.ctx.createLinearGradient(0, top + height, 0, top);
  const [lo, hi] = [u.scales.y.min, u.scales.y.max];
  const list = steps(defaults);
  const at = (v) => Math.min(1, Math.max(0, (v - lo) / (hi - lo || 1)));
  list.forEach((step, i) => {
    const from = i === 0 ? 0 : at(step.value);
    const to = i + 1 < list.length ? at(list[i + 1].value) : 1;
    if (to <= from && i + 1 < list.length) return;
    gradient.addColorStop(from, alpha(step.color, opacity));
    gradient.addColorStop(Math.max(from, to), alpha(step.color, opacity));
  });
  return gradient;
}

/** Indices of the values with no value on either side (null for none). */
function isolated(values) {
  const found = values.flatMap((v, i) => (v !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null ? [i] : []));
  return found.length ? found : null;
}

/** Draws the thresholds (above the base step) as horizontal lines across the plot. */
function drawThresholds(u, defaults, mode) {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.lineWidth = 1;
  ctx.setLineDash(mode === 'dashed' ? [10, 10] : []);
  for (const step of steps(defaults).slice(1)) {
    if (step.value < u.scales.y.min || step.value > u.scales.y.max) continue;
    const y = Math.round(u.valToPos(step.value, 'y', true)) + 0.5;
    ctx.strokeStyle = step.color;
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
  }
  ctx.restore();
}

/** The series of every target, named, each with its values on the grid `xs`. */
function seriesOnGrid(results, xs, timing) {
  const index = new Map(xs.map((x, i) => [x, i]));
  return results.flatMap(({ target, series }) =>
    series.map((s) => {
      const values = new Array(xs.length).fill(null);
      for (const [t, v] of s.points) {
        const i = index.get(t) ?? Math.round((t - timing.start) / timing.step);
        if (i >= 0 && i < xs.length && Number.isFinite(v)) values[i] = v;
      }
      return { name: seriesName(target.legendFormat, s.labels, target.expr), values };
    }),
  );
}

function legend(panel, series, colors) {
  const options = panel.options?.legend ?? {};
  if (options.showLegend === false) return null;
  const defaults = panel.fieldConfig?.defaults ?? {};
  const calcs = options.calcs ?? [];
  const cell = (values, calc) => {
    const v = reduce(values, calc);
    return h('td', { class: 'num' }, v === null ? '' : displayValue(v, defaults).text);
  };
  const swatch = (i) => h('span', { class: 'swatch', style: { background: colors[i] } });
  if (options.displayMode === 'table') {
    return h(
      'div',
      { class: 'legend table' },
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', { class: 'name' }, 'Name'), calcs.map((c) => h('th', { class: 'num' }, CALCS[c])))),
        h('tbody', {}, series.map((s, i) => h('tr', { dataset: { series: s.name } }, h('td', { class: 'name' }, swatch(i), h('span', { class: 'label' }, s.name)), calcs.map((c) => cell(s.values, c))))),
      ),
    );
  }
  return h(
    'div',
    { class: 'legend list' },
    series.map((s, i) => h('span', { class: 'item', dataset: { series: s.name } }, swatch(i), h('span', { class: 'label' }, s.name), calcs.map((c) => ` ${CALCS[c]}: ${cell(s.values, c).textContent}`))),
  );
}

/** The hover box: the time and each series' value at the cursor. */
function tooltip(panel, series, colors, defaults) {
  const box = h('div', { class: 'tooltip', hidden: true });
  const mode = panel.options?.tooltip?.mode ?? 'single';
  const sort = panel.options?.tooltip?.sort ?? 'none';
  const update = (u) => {
    const { idx, left, top } = u.cursor;
    if (idx === null || idx === undefined || left < 0) {
      box.hidden = true;
      return;
    }
    let rows = series.map((s, i) => ({ name: s.name, value: s.values[idx], color: colors[i] })).filter((r) => r.value !== null);
    if (mode === 'single') {
      // The series nearest the cursor.
      const y = u.posToVal(top, 'y');
      rows = rows.sort((a, b) => Math.abs(a.value - y) - Math.abs(b.value - y)).slice(0, 1);
    }
    if (sort !== 'none') rows.sort((a, b) => (sort === 'desc' ? b.value - a.value : a.value - b.value));
    box.replaceChildren(
      h('div', { class: 'time' }, new Date(u.data[0][idx] * 1000).toLocaleString()),
      ...rows.map((r) => h('div', { class: 'row' }, h('span', { class: 'swatch', style: { background: r.color } }), h('span', { class: 'label' }, r.name), h('span', { class: 'num' }, displayValue(r.value, defaults).text))),
    );
    box.hidden = rows.length === 0;
    const plot = u.over.getBoundingClientRect();
    const host = box.parentElement.getBoundingClientRect();
    const x = plot.left - host.left + left;
    box.style.left = `${Math.max(0, x + 12 + box.offsetWidth > host.width ? x - box.offsetWidth - 12 : x + 12)}px`;
    box.style.top = `${Math.max(0, plot.top - host.top + top - box.offsetHeight / 2)}px`;
  };
  return { box, update };
}

/**
 * Draws a timeseries panel into `body` from `results` ([{ target, series }]); returns its state
 * ('drawn' or 'no-data'), the number of points drawn, and a destroy function.
 */
export function renderTimeseries(body, panel, results, ctx) {
  const { timing } = ctx;
  const xs = [];
  for (let t = timing.start; t <= timing.end; t += timing.step) xs.push(t);
  const series = seriesOnGrid(results, xs, timing);
  const points = series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
  if (points === 0) return { state: 'no-data', points: 0 };

  const defaults = panel.fieldConfig?.defaults ?? {};
  const custom = defaults.custom ?? {};
  const thresholdMode = defaults.color?.mode === 'thresholds';
  const lastColor = (s) => steps(defaults).reduce((c, step) => ((reduce(s.values, 'lastNotNull') ?? -Infinity) >= step.value ? step.color : c), steps(defaults)[0]?.color);
  const colors = series.map((s, i) => (thresholdMode ? lastColor(s) : PALETTE[i % PALETTE.length]));
  const fill = (custom.fillOpacity ?? 0) / 100;
  const stacked = custom.stacking?.mode === 'normal';

  // Stacked series are drawn at their running sums; the tooltip and legend show their own values.
  const drawn = series.map((s) => s.values.slice());
  if (stacked) {
    const sums = new Array(xs.length).fill(0);
    for (const values of drawn) values.forEach((v, i) => v !== null && (values[i] = sums[i] += v));
  }

  const legendEl = legend(panel, series, colors);
  const { box, update } = tooltip(panel, series, colors, defaults);
  const plot = h('div', { class: 'plot' });
  body.append(plot, ...(legendEl ? [legendEl] : []), box);
  const size = () => ({ width: Math.max(50, plot.clientWidth), height: Math.max(40, body.clientHeight - (legendEl?.offsetHeight ?? 0)) });

  const opts = {
    ...size(),
    legend: { show: false },
    cursor: { sync: { key: ctx.syncKey }, drag: { x: false, y: false }, points: { size: 5 } },
    scales: {
      x: { time: true, range: () => [ctx.fromMs / 1000, ctx.toMs / 1000] },
      y: {
        range: (u, dmin, dmax) => {
          // A flat series (all zeros, say) gets a unit-high axis rather than uPlot's wide default.
          let [lo, hi] = dmin === dmax ? [Math.min(0, dmin ?? 0), Math.max(1, (dmax ?? 0) * 2)] : uPlot.rangeNum(dmin ?? 0, dmax ?? 1, 0.1, true);
          if (dmin !== null && dmin >= 0 && lo < 0) lo = 0;
          if (defaults.min !== undefined) lo = defaults.min;
          if (defaults.max !== undefined) hi = defaults.max;
          return hi > lo ? [lo, hi] : [lo, lo + 1];
        },
      },
    },
    axes: [
      { stroke: AXIS, font: FONT, grid: { stroke: GRID, width: 1 }, ticks: { show: false } },
      {
        stroke: AXIS,
        font: FONT,
        grid: { stroke: GRID, width: 1 },
        ticks: { show: false },
        size: (u, values) => 12 + Math.max(20, ...(values ?? []).map((v) => v.length * 6.5)),
        values: (u, ticks) => ticks.map((v) => formatValue(v, defaults.unit, defaults.decimals ?? tickDecimals(ticks))),
      },
    ],
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.name,
        stroke: thresholdMode ? (u) => byValue(u, defaults, 1) : colors[i],
        fill: fill > 0 ? (thresholdMode ? (u) => byValue(u, defaults, fill) : alpha(colors[i], fill)) : undefined,
        width: custom.lineWidth ?? 1,
        // showPoints never, but a value between two gaps is drawn as a dot, as Grafana does: a line needs two.
        points: { show: false, size: 5, fill: thresholdMode ? (u) => byValue(u, defaults, 1) : colors[i], filter: (u, seriesIdx) => isolated(drawn[seriesIdx - 1]) },
        spanGaps: false,
      })),
    ],
    bands: stacked ? series.slice(1).map((_, i) => ({ series: [i + 2, i + 1] })) : [],
    hooks: {
      draw: custom.thresholdsStyle?.mode && custom.thresholdsStyle.mode !== 'off' ? [(u) => drawThresholds(u, defaults, custom.thresholdsStyle.mode)] : [],
      setCursor: [update],
    },
  };
  const u = new uPlot(opts, [xs, ...drawn], plot);
  const observer = new ResizeObserver(() => u.setSize(size()));
  observer.observe(body);
  return {
    state: 'drawn',
    points,
    destroy() {
      observer.disconnect();
      u.destroy();
    },
  };
}
