/**
 * Typed builders for Grafana dashboard JSON (schemaVersion 39, Grafana 11): rows, time series,
 * stats and gauges over the provisioned Prometheus datasource, laid out left to right in rows.
 *
 * Plain objects rather than Grafana's foundation SDK: the handful of panel kinds used here are
 * simple, and the JSON stays readable in review. Thresholds that mirror an alert name the alert,
 * so a test can check the number against the rule (src/dashboards/overview/common.ts, THRESHOLDS).
 */

/** The uid of the datasource in monitoring/grafana/provisioning/datasources/prometheus.yml. */
export const PROMETHEUS_UID = 'prometheus';

/** Every query goes through the `datasource` template variable (defaulting to {@link PROMETHEUS_UID}). */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** A PromQL query of a panel. */
export interface Query {
  expr: string;
  /** Legend template, e.g. `{{method}} {{endpoint}}`. */
  legend?: string;
}

/** A threshold drawn on a panel: the colour from `value` up. */
export interface Step {
  value: number;
  color: 'green' | 'yellow' | 'orange' | 'red';
}

/** What all panel kinds share. */
export interface PanelSpec {
  title: string;
  description: string;
  queries: Query[];
  /** Grafana unit id: `reqps`, `s`, `percent`, `percentunit`, `bytes`, `short`, `ops`. */
  unit: string;
  /** Above these values the panel turns the step's colour (below the first: `baseColor`). */
  steps?: Step[];
  /** Colour below the first step; red for "higher is better" values. Default green. */
  baseColor?: Step['color'];
  min?: number;
  max?: number;
  decimals?: number;
  /** Value-to-text mappings, e.g. 1 → UP. */
  mappings?: Array<{ value: number; text: string; color: Step['color'] }>;
  /** Width in grid columns (of 24) and height in rows. */
  w: number;
  h: number;
}

/** Grafana's JSON for one panel or row; `id` and `gridPos` are assigned by {@link layout}. */
export type PanelJson = Record<string, unknown> & { id?: number; gridPos?: { x: number; y: number; w: number; h: number } };

function fieldConfig(spec: PanelSpec, custom: Record<string, unknown>) {
  return {
    defaults: {
      unit: spec.unit,
      ...(spec.min !== undefined ? { min: spec.min } : {}),
      ...(spec.max !== undefined ? { max: spec.max } : {}),
      ...(spec.decimals !== undefined ? { decimals: spec.decimals } : {}),
      color: { mode: spec.steps ? 'thresholds' : 'palette-classic' },
      thresholds: {
        mode: 'absolute',
        steps: [{ color: spec.baseColor ?? 'green', value: null }, ...(spec.steps ?? []).map((s) => ({ color: s.color, value: s.value }))],
      },
      mappings: (spec.mappings ?? []).map((m) => ({
        type: 'value',
        options: { [String(m.value)]: { text: m.text, color: m.color, index: 0 } },
      })),
      custom,
    },
    overrides: [],
  };
}

function targets(spec: PanelSpec, instant: boolean) {
  return spec.queries.map((q, i) => ({
    datasource: DATASOURCE,
    refId: String.fromCharCode(65 + i),
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    range: !instant,
    instant,
    editorMode: 'code',
  }));
}

function base(type: string, spec: PanelSpec, instant: boolean): PanelJson {
  return {
    type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos: { x: 0, y: 0, w: spec.w, h: spec.h },
    targets: targets(spec, instant),
  };
}

/** A time series graph; thresholds, if any, are drawn as dashed lines. */
export function timeseries(spec: PanelSpec & { stack?: boolean }): PanelJson {
  return {
    ...base('timeseries', spec, false),
    fieldConfig: fieldConfig(spec, {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: spec.stack ? 30 : 10,
      showPoints: 'never',
      spanNulls: false,
      stacking: { mode: spec.stack ? 'normal' : 'none', group: 'A' },
      thresholdsStyle: { mode: spec.steps ? 'dashed' : 'off' },
    }),
    options: {
      legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['mean', 'max', 'lastNotNull'] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

/** A single big number (the last value), coloured by its thresholds. */
export function stat(spec: PanelSpec): PanelJson {
  return {
    ...base('stat', spec, true),
    fieldConfig: fieldConfig(spec, {}),
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background',
      graphMode: 'none',
      justifyMode: 'center',
      textMode: 'auto',
      orientation: 'auto',
    },
  };
}

/** A dial from `min` to `max` (the last value), coloured by its thresholds. */
export function gauge(spec: PanelSpec & { min: number; max: number }): PanelJson {
  return {
    ...base('gauge', spec, true),
    fieldConfig: fieldConfig(spec, {}),
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      showThresholdMarkers: true,
      showThresholdLabels: false,
      orientation: 'auto',
    },
  };
}

/** A row header (always expanded, so every panel is visible and every query runs). */
export function row(title: string): PanelJson {
  return { type: 'row', title, collapsed: false, panels: [], gridPos: { x: 0, y: 0, w: 24, h: 1 } };
}

/**
 * Assigns ids (1, 2, ...) and grid positions: panels flow left to right, wrapping at 24 columns;
 * a row starts a new line.
 */
export function layout(panels: PanelJson[]): PanelJson[] {
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  return panels.map((panel, i) => {
    const { w, h } = panel.gridPos as { w: number; h: number };
    if (panel.type === 'row' || x + w > 24) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    }
    const placed = { ...panel, id: i + 1, gridPos: { x, y, w, h } };
    x += w;
    lineHeight = Math.max(lineHeight, h);
    if (panel.type === 'row') {
      y += h;
      x = 0;
      lineHeight = 0;
    }
    return placed;
  });
}

/**
 * A query as Prometheus receives it once Grafana has filled in the variables: `$__rate_interval`
 * (4 scrape intervals: 1m at the 15 s of prometheus.yml) and `$instance` as "All" (`.*`).
 */
export function expandVariables(expr: string, rateInterval = '1m'): string {
  return expr.replace(/\$__rate_interval/g, rateInterval).replace(/\$instance/g, '.*');
}

/** Every PromQL expression of a dashboard's panels, with the panel title. */
export function dashboardQueries(dashboard: { panels: PanelJson[] }): Array<{ panel: string; expr: string }> {
  return dashboard.panels.flatMap((p) => ((p.targets as Array<{ expr: string }> | undefined) ?? []).map((t) => ({ panel: p.title as string, expr: t.expr })));
}
