/**
 * What the viewer implements of Grafana's dashboard model, as a checker: every key of a
 * dashboard, panel, target, field config and variable, with the values the viewer draws. Anything
 * else — a panel type, a unit, an option, a value, a variable format — is a problem, named with its
 * path. The page shows a panel's problems as its visible "unsupported" notice instead of drawing it
 * wrongly; the conformance test runs the same checker over the committed dashboards. Extending the
 * viewer means extending this spec together with the code that draws the new thing. No DOM.
 */
import { BUILTIN_VARIABLES, hasFormatSuffix, parseLabelValues, variableReferences } from './templating.js';
import { durationMs, resolveTime } from './time.js';
import { UNITS } from './units.js';
import { COLORS } from './display.js';

const show = (v) => JSON.stringify(v);

/** Accepts anything (free text such as titles and descriptions). */
const anything = () => [];
const check = (ok, expected) => (v, path) => (ok(v) ? [] : [`${path}: ${show(v)} is not implemented (implemented: ${expected})`]);
const oneOf = (...values) => check((v) => values.some((x) => show(x) === show(v)), values.map(show).join(', '));
const string = check((v) => typeof v === 'string', 'text');
const number = check((v) => typeof v === 'number' && Number.isFinite(v), 'a number');
const boolean = check((v) => typeof v === 'boolean', 'true or false');
const integer = (min, max) => check((v) => Number.isInteger(v) && v >= min && v <= max, `an integer from ${min} to ${max}`);
const nullable = (spec) => (v, path) => (v === null ? [] : spec(v, path));
const color = check((v) => typeof v === 'string' && (v in COLORS || /^#[0-9a-fA-F]{6}$/.test(v)), `${Object.keys(COLORS).join(', ')} or #rrggbb`);
const unit = check((v) => typeof v === 'string' && v in UNITS, Object.keys(UNITS).join(', '));
const time = check((v) => typeof v === 'string' && resolveTime(v, 0) !== undefined, 'now, now-<duration> or epoch milliseconds');
const refresh = check((v) => v === '' || v === false || (typeof v === 'string' && durationMs(v) !== undefined), "'' or a duration");

function object(shape, required = []) {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return [`${path}: ${show(v)} is not an object`];
    const missing = required.filter((key) => !(key in v)).map((key) => `${path}.${key} is missing`);
    return missing.concat(Object.entries(v).flatMap(([key, value]) => (key in shape ? shape[key](value, `${path}.${key}`) : [`${path}.${key} is not implemented`])));
  };
}
function array(item) {
  return (v, path) => (Array.isArray(v) ? v.flatMap((x, i) => item(x, `${path}[${i}]`)) : [`${path}: ${show(v)} is not a list`]);
}
function record(value) {
  return (v, path) => (typeof v === 'object' && v !== null ? Object.entries(v).flatMap(([key, x]) => value(x, `${path}.${key}`)) : [`${path}: ${show(v)} is not an object`]);
}

const gridPos = object({ x: integer(0, 23), y: integer(0, 10_000), w: integer(1, 24), h: integer(1, 1_000) }, ['x', 'y', 'w', 'h']);
const datasourceRef = object({ type: oneOf('prometheus'), uid: string });

/** Calculations the legend and the stat/gauge reducers implement. */
export const CALCS = { mean: 'Mean', max: 'Max', min: 'Min', lastNotNull: 'Last *', last: 'Last', sum: 'Total' };
const calc = oneOf(...Object.keys(CALCS));

const target = (instant) =>
  object(
    {
      datasource: datasourceRef,
      refId: string,
      expr: string,
      legendFormat: string,
      range: oneOf(!instant),
      instant: oneOf(instant),
      editorMode: oneOf('code', 'builder'),
      hide: oneOf(false),
    },
    ['expr'],
  );

const fieldDefaults = (custom) =>
  object({
    unit,
    min: number,
    max: number,
    decimals: integer(0, 20),
    color: object({ mode: oneOf('thresholds', 'palette-classic') }),
    thresholds: object({ mode: oneOf('absolute'), steps: array(object({ color, value: nullable(number) }, ['color', 'value'])) }),
    mappings: array(object({ type: oneOf('value'), options: record(object({ text: string, color, index: number })) })),
    custom,
  });

const common = (instant, custom, options) => ({
  id: number,
  type: string,
  title: string,
  description: anything,
  datasource: datasourceRef,
  gridPos,
  targets: array(target(instant)),
  fieldConfig: object({ defaults: fieldDefaults(custom), overrides: oneOf([]) }),
  options,
});

const reduceOptions = object({ calcs: array(calc), fields: oneOf(''), values: oneOf(false) });

/** Panel type → the checker of its model. */
const PANELS = {
  timeseries: object(
    common(
      false,
      object({
        drawStyle: oneOf('line'),
        lineWidth: integer(0, 10),
        fillOpacity: integer(0, 100),
        showPoints: oneOf('never'),
        spanNulls: oneOf(false),
        stacking: object({ mode: oneOf('none', 'normal'), group: string }),
        thresholdsStyle: object({ mode: oneOf('off', 'dashed', 'line') }),
      }),
      object({
        legend: object({ displayMode: oneOf('table', 'list'), placement: oneOf('bottom'), showLegend: boolean, calcs: array(calc) }),
        tooltip: object({ mode: oneOf('multi', 'single'), sort: oneOf('desc', 'asc', 'none') }),
      }),
    ),
    ['gridPos', 'targets'],
  ),
  stat: object(
    common(
      true,
      object({}),
      object({
        reduceOptions,
        colorMode: oneOf('background', 'value', 'none'),
        graphMode: oneOf('none'),
        justifyMode: oneOf('center', 'auto'),
        textMode: oneOf('auto', 'value', 'value_and_name'),
        orientation: oneOf('auto'),
      }),
    ),
    ['gridPos', 'targets'],
  ),
  gauge: object(
    common(true, object({}), object({ reduceOptions, showThresholdMarkers: boolean, showThresholdLabels: oneOf(false), orientation: oneOf('auto') })),
    ['gridPos', 'targets'],
  ),
  row: object({ id: number, type: string, title: string, collapsed: oneOf(false), panels: oneOf([]), gridPos }, ['gridPos']),
};

/** The panel types the viewer draws. */
export const PANEL_TYPES = Object.keys(PANELS);

const current = object({ selected: boolean, text: anything, value: anything });
const labelValues = check((v) => parseLabelValues(v) !== undefined, 'label_values(selector, label)');

/** Variable type → the checker of its model. */
const VARIABLES = {
  datasource: object({ name: string, label: string, type: string, query: oneOf('prometheus'), current, hide: oneOf(0), refresh: oneOf(1, 2), regex: oneOf(''), options: oneOf([]), multi: oneOf(false), includeAll: oneOf(false) }, ['name', 'query']),
  query: object(
    {
      name: string,
      label: string,
      type: string,
      datasource: datasourceRef,
      definition: string,
      query: (v, path) => (typeof v === 'string' ? labelValues(v, path) : object({ query: labelValues, refId: string }, ['query'])(v, path)),
      includeAll: boolean,
      multi: boolean,
      allValue: nullable(string),
      current,
      refresh: oneOf(1, 2),
      sort: oneOf(0, 1, 2),
      hide: oneOf(0),
      regex: oneOf(''),
      options: oneOf([]),
    },
    ['name', 'query', 'datasource'],
  ),
};

/** The variable types the viewer implements. */
export const VARIABLE_TYPES = Object.keys(VARIABLES);

const builtInAnnotation = object({ builtIn: oneOf(1), datasource: object({ type: oneOf('grafana'), uid: oneOf('-- Grafana --') }), enable: boolean, hide: boolean, iconColor: string, name: string, type: oneOf('dashboard') });

const DASHBOARD = object(
  {
    id: anything,
    uid: string,
    title: string,
    description: anything,
    tags: array(string),
    editable: boolean,
    graphTooltip: oneOf(0, 1),
    timezone: oneOf('browser', 'utc', ''),
    refresh,
    time: object({ from: time, to: time }, ['from', 'to']),
    schemaVersion: number,
    version: number,
    links: oneOf([]),
    // Grafana's own annotations (its database's and Grafana-managed alerts'): there are none to draw here.
    annotations: object({ list: array(builtInAnnotation) }),
    templating: object({ list: array((v, path) => (VARIABLES[v?.type] ? VARIABLES[v.type](v, path) : [`${path}.type: ${show(v?.type)} is not implemented (implemented: ${VARIABLE_TYPES.join(', ')})`])) }),
    panels: anything, // checked one by one below, so each panel gets its own notice
    gnetId: oneOf(null),
    liveNow: oneOf(false),
    fiscalYearStartMonth: oneOf(0),
    weekStart: oneOf(''),
    timepicker: oneOf({}),
  },
  ['uid', 'title', 'panels'],
);

/** Problems of one panel of `dashboard`: its model, and variables its queries use that do not exist. */
export function panelProblems(panel, dashboard) {
  const path = `panel ${show(panel?.title ?? panel?.id)}`;
  const spec = PANELS[panel?.type];
  if (!spec) return [`${path}: panel type ${show(panel?.type)} is not implemented (implemented: ${PANEL_TYPES.join(', ')})`];
  const defined = new Set([...BUILTIN_VARIABLES, ...(dashboard?.templating?.list ?? []).map((v) => v.name)]);
  const texts = [panel.datasource?.uid, ...(panel.targets ?? []).flatMap((t) => [t.expr, t.datasource?.uid])].filter((t) => typeof t === 'string');
  const unknown = [...new Set(texts.flatMap(variableReferences))].filter((name) => !defined.has(name)).map((name) => `${path}: variable $${name} is not defined`);
  const formats = texts.filter(hasFormatSuffix).map((t) => `${path}: variable formats (\${var:format}) are not implemented: ${t}`);
  return spec(panel, path).concat(unknown, formats);
}

/** Problems of the dashboard itself (everything but its panels' own). */
export function dashboardProblems(dashboard) {
  return DASHBOARD(dashboard, 'dashboard').concat(Array.isArray(dashboard?.panels) ? [] : ['dashboard.panels is not a list']);
}

/** Every problem of `dashboard`, its panels' included: what the conformance test expects to be empty. */
export function allProblems(dashboard) {
  return dashboardProblems(dashboard).concat((Array.isArray(dashboard?.panels) ? dashboard.panels : []).flatMap((p) => panelProblems(p, dashboard)));
}
