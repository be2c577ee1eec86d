/**
 * One dashboard page (`/d/<uid>`): the toolbar (variables, time range, refresh), the 24-column
 * grid at the panels' gridPos (rows of 30 px, 8 px apart, as Grafana's), and the refresh cycle:
 * update the query variables, then run every panel's targets — one Prometheus query per target —
 * and draw each panel. The state lives in the URL as Grafana keeps it (`from`, `to`, `refresh`,
 * `var-<name>`). When a cycle has drawn every panel, `document.body.dataset` says so (state
 * `ready`, the cycle number, the queries sent) and a `samokoder:drawn` performance mark is set.
 */
import { h } from './dom.js';
import { renderGauge } from './panels/gauge.js';
import { renderStat } from './panels/stat.js';
import { renderTimeseries } from './panels/timeseries.js';
import { promQuery } from './prometheus.js';
import { dashboardProblems, panelProblems } from './support.js';
import { interpolate, labelValuesQuery, parseLabelValues, promqlValue } from './templating.js';
import { QUICK_RANGES, queryTiming, REFRESH_INTERVALS, resolveTime } from './time.js';

const RENDERERS = { timeseries: renderTimeseries, stat: renderStat, gauge: renderGauge };
const GRID_ROW = 30;
const GRID_GAP = 8;

async function getJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${(await res.json().catch(() => ({}))).message ?? ''}`);
  return res.json();
}

/** The page's state from its URL, with the dashboard's defaults. */
function readUrl(dashboard) {
  const params = new URLSearchParams(location.search);
  const vars = {};
  for (const v of dashboard.templating?.list ?? []) {
    const given = params.getAll(`var-${v.name}`);
    const current = v.current?.value;
    vars[v.name] = given.length ? given : Array.isArray(current) ? current : current !== undefined ? [current] : [];
  }
  const refresh = params.has('refresh') ? params.get('refresh') : dashboard.refresh || '';
  return { from: params.get('from') ?? dashboard.time?.from ?? 'now-6h', to: params.get('to') ?? dashboard.time?.to ?? 'now', refresh, vars };
}

function writeUrl(state) {
  const params = new URLSearchParams({ from: state.from, to: state.to });
  if (state.refresh) params.set('refresh', state.refresh);
  for (const [name, values] of Object.entries(state.vars)) for (const v of values) params.append(`var-${name}`, v);
  history.replaceState(null, '', `${location.pathname}?${params}`);
}

function select(id, label, options, value, onChange) {
  const el = h('select', { id, 'aria-label': label, onchange: () => onChange(el.value) }, options.map(([v, text]) => h('option', { value: v }, text)));
  el.value = value;
  return h('label', { class: 'picker' }, h('span', {}, label), el);
}

/** Shows dashboard `uid` in `root`. */
export async function showDashboard(root, toolbar, uid) {
  const [{ dashboard }, datasources] = await Promise.all([getJson(`/api/dashboards/uid/${encodeURIComponent(uid)}`), getJson('/api/datasources')]);
  document.title = `${dashboard.title} - Samokoder dashboards`;
  const state = readUrl(dashboard);
  const variables = dashboard.templating?.list ?? [];
  const options = {}; // variable name → its current options (values)
  for (const v of variables.filter((x) => x.type === 'datasource')) options[v.name] = datasources.filter((d) => d.type === v.query).map((d) => d.uid);
  const datasourceName = (uidValue) => datasources.find((d) => d.uid === uidValue)?.name ?? uidValue;
  let cycle = 0;
  let controller;
  let timer;

  // Toolbar: title, variables, time range, refresh.
  const varPickers = h('div', { class: 'variables' });
  const renderVariables = () =>
    varPickers.replaceChildren(
      ...variables
        .filter((v) => v.hide !== 2)
        .map((v) => {
          const values = options[v.name] ?? [];
          const choices = [...(v.includeAll ? [['$__all', 'All']] : []), ...values.map((x) => [x, v.type === 'datasource' ? datasourceName(x) : x])];
          const current = state.vars[v.name]?.length === 1 ? state.vars[v.name][0] : '$__all';
          return select(`var-${v.name}`, v.label ?? v.name, choices, current, (value) => {
            state.vars[v.name] = [value];
            writeUrl(state);
            void refresh();
          });
        }),
    );
  const quick = QUICK_RANGES.some((r) => r.from === state.from) && state.to === 'now';
  const rangeChoices = [...QUICK_RANGES.map((r) => [r.from, r.label]), ...(quick ? [] : [['custom', 'Custom range']])];
  const rangePicker = select('time-range', 'Time range', rangeChoices, quick ? state.from : 'custom', (value) => {
    if (value === 'custom') return;
    state.from = value;
    state.to = 'now';
    writeUrl(state);
    void refresh();
  });
  const refreshPicker = select('refresh-interval', 'Auto refresh', REFRESH_INTERVALS.map((r) => [r, r || 'Off']), REFRESH_INTERVALS.includes(state.refresh) ? state.refresh : '', (value) => {
    state.refresh = value;
    writeUrl(state);
    schedule();
  });
  const problems = dashboardProblems(dashboard);
  toolbar.replaceChildren(
    h('nav', { class: 'crumbs' }, h('a', { href: '/dashboards' }, 'Dashboards'), ' / ', h('span', { class: 'title' }, dashboard.title)),
    varPickers,
    h('div', { class: 'time' }, rangePicker, h('button', { id: 'refresh-button', type: 'button', title: 'Refresh', onclick: () => void refresh() }, '⟳ Refresh'), refreshPicker),
  );
  renderVariables();

  // The grid.
  const grid = h('div', { class: 'grid' });
  root.replaceChildren(...(problems.length ? [h('div', { class: 'unsupported banner' }, h('strong', {}, 'Unsupported in this viewer: '), problems.join('; '))] : []), grid);
  const panels = (dashboard.panels ?? []).map((panel) => {
    const { x = 0, y = 0, w = 24, h: height = 8 } = panel.gridPos ?? {};
    const place = { gridColumn: `${x + 1} / span ${w}`, gridRow: `${y + 1} / span ${height}` };
    if (panel.type === 'row') {
      grid.append(h('h2', { class: 'row-title', style: place }, panel.title ?? ''));
      return null;
    }
    const body = h('div', { class: 'body' });
    const el = h(
      'section',
      { class: `panel panel-${panel.type}`, dataset: { panelId: String(panel.id), type: String(panel.type), state: 'loading' }, style: { ...place, height: `${height * GRID_ROW + (height - 1) * GRID_GAP}px` } },
      h('header', {}, h('h3', {}, panel.title ?? ''), panel.description ? h('span', { class: 'info', title: panel.description }, 'i') : null),
      body,
    );
    grid.append(el);
    return { panel, el, body, problems: panelProblems(panel, dashboard), destroy: undefined };
  }).filter(Boolean);

  const finish = (p, state, detail) => {
    p.el.dataset.state = state;
    if (detail !== undefined) p.body.append(h('div', { class: state === 'no-data' ? 'no-data' : 'message' }, detail));
  };

  /** Replacement text of every variable for the range `timing`. */
  const values = (timing) => {
    const out = { ...timing.vars };
    for (const v of variables) out[v.name] = v.type === 'datasource' ? (state.vars[v.name]?.[0] ?? options[v.name]?.[0] ?? '') : promqlValue(v, state.vars[v.name] ?? [], options[v.name] ?? []);
    return out;
  };

  async function updateQueryVariables(timing, signal) {
    const base = values(timing);
    let queries = 0;
    for (const v of variables.filter((x) => x.type === 'query')) {
      const parsed = parseLabelValues(typeof v.query === 'string' ? v.query : v.query?.query);
      if (!parsed) continue;
      queries += 1;
      const series = await promQuery(interpolate(v.datasource?.uid ?? '', base), 'query', { query: interpolate(labelValuesQuery(parsed, Number(timing.vars.__range_s)), base), time: String(timing.time) }, signal);
      const found = [...new Set(series.map((s) => s.labels[parsed.label]).filter((x) => x !== undefined))];
      if (v.sort === 1) found.sort();
      if (v.sort === 2) found.sort().reverse();
      options[v.name] = found;
    }
    renderVariables();
    return queries;
  }

  async function drawPanel(p, fromMs, toMs, signal) {
    p.destroy?.();
    p.destroy = undefined;
    p.body.replaceChildren();
    p.el.dataset.state = 'loading';
    if (p.problems.length) {
      p.el.classList.add('has-problems');
      finish(p, 'unsupported', `Unsupported: ${p.problems.join('; ')}`);
      return 0;
    }
    // The datasource's scrape interval (its timeInterval) is the lower bound of the panel's interval.
    const source = interpolate(p.panel.datasource?.uid ?? '', values({ vars: {} }));
    const scrapeInterval = datasources.find((d) => d.uid === source)?.jsonData?.timeInterval;
    const timing = queryTiming({ fromMs, toMs, maxDataPoints: Math.max(100, Math.round(p.body.clientWidth)), scrapeInterval });
    const vars = values(timing);
    const instant = p.panel.type !== 'timeseries';
    const targets = (p.panel.targets ?? []).filter((t) => !t.hide);
    try {
      const results = await Promise.all(
        targets.map(async (target) => {
          const uidValue = interpolate(target.datasource?.uid ?? source, vars);
          const query = interpolate(target.expr, vars);
          const params = instant ? { query, time: String(timing.time) } : { query, start: String(timing.start), end: String(timing.end), step: String(timing.step) };
          return { target, series: await promQuery(uidValue, instant ? 'query' : 'query_range', params, signal) };
        }),
      );
      if (signal.aborted) return targets.length;
      const drawn = RENDERERS[p.panel.type](p.body, p.panel, results, { timing, fromMs, toMs, syncKey: dashboard.graphTooltip ? dashboard.uid : `panel-${p.panel.id}` });
      p.destroy = drawn.destroy;
      p.el.dataset.points = String(drawn.points);
      p.el.dataset.queryTime = String(timing.time);
      finish(p, drawn.state, drawn.state === 'no-data' ? 'No data' : undefined);
    } catch (err) {
      if (signal.aborted) return targets.length;
      finish(p, 'error', `Error: ${err.message}`);
    }
    return targets.length;
  }

  async function refresh() {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    const n = ++cycle;
    document.body.dataset.state = 'loading';
    const now = Date.now();
    const fromMs = resolveTime(state.from, now);
    const toMs = resolveTime(state.to, now);
    if (fromMs === undefined || toMs === undefined || toMs <= fromMs) {
      for (const p of panels) finish(p, 'error', `Error: unreadable time range ${state.from} to ${state.to}`);
      return;
    }
    let queries = 0;
    try {
      queries += await updateQueryVariables(queryTiming({ fromMs, toMs, maxDataPoints: 1000 }), signal);
    } catch (err) {
      if (signal.aborted) return;
      toolbar.querySelector('.variables')?.append(h('span', { class: 'message' }, `Variables: ${err.message}`));
    }
    const counts = await Promise.all(panels.map((p) => drawPanel(p, fromMs, toMs, signal)));
    if (signal.aborted || n !== cycle) return;
    queries += counts.reduce((a, b) => a + b, 0);
    Object.assign(document.body.dataset, { state: 'ready', cycle: String(n), queries: String(queries), fromMs: String(fromMs), toMs: String(toMs) });
    performance.mark('samokoder:drawn', { detail: { cycle: n, queries } });
  }

  function schedule() {
    clearInterval(timer);
    const ms = { '10s': 10_000, '30s': 30_000, '1m': 60_000 }[state.refresh];
    if (ms) timer = setInterval(() => void refresh(), ms);
  }

  writeUrl(state);
  schedule();
  await refresh();
}
