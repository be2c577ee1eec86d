/**
 * Grafana as code: the committed dashboard JSON is exactly what src/dashboards generates; every
 * query parses (promtool), names only catalogue metrics or recording rules, avoids the PromQL
 * pitfalls; thresholds are the alerts' own; provisioning points at the right uid and directory.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { dashboardQueries, expandVariables, PROMETHEUS_UID, type PanelJson } from '../../src/dashboards/grafana.ts';
import { DASHBOARDS_DIR, OVERVIEW_UID } from '../../src/monitoring/paths.ts';
import { generatedDashboards } from '../../src/dashboards/generate.ts';
import { THRESHOLDS } from '../../src/dashboards/overview/common.ts';
import { exportedSeriesNames } from '../../src/metrics/catalogue.ts';
import { listAlerts, listRecordingRules, metricNamesInExpr } from '../../src/monitoring/rules.ts';
import { requireBinary } from '../../src/packages.ts';
import { resolvedServices, ROOT } from '../deploy/support.ts';
import { tempDir } from '../support/services.ts';

const GRAFANA_DIR = join(ROOT, 'monitoring/grafana');
const overview = JSON.parse(readFileSync(join(DASHBOARDS_DIR, 'samokoder-overview.json'), 'utf8')) as {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating: { list: Array<{ name: string; type: string; current: { value: unknown }; query: unknown }> };
};
const queries = dashboardQueries(overview);

test('the committed dashboards are exactly what `npm run dashboards` generates', () => {
  const generated = generatedDashboards();
  const committed = readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json'));
  for (const { file, json } of generated) {
    assert.ok(committed.includes(file), `${file} is not committed: run npm run dashboards`);
    assert.equal(readFileSync(join(DASHBOARDS_DIR, file), 'utf8'), json, `${file} differs from the generator: run npm run dashboards`);
  }
});

test('every query parses: promtool check rules on them as recording rules', () => {
  assert.ok(queries.length >= 30, `only ${queries.length} queries`);
  const dir = tempDir('dashboard-rules');
  try {
    const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: expandVariables(q.expr) }));
    for (const rule of rules) assert.ok(!rule.expr.includes('$'), `unexpanded variable in ${rule.expr}`);
    const file = join(dir.path, 'dashboard.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const result = spawnSync(requireBinary('promtool'), ['check', 'rules', file], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  } finally {
    dir.remove();
  }
});

test('every samokoder metric a query names is in the catalogue or is a recording rule', () => {
  const known = new Set([...exportedSeriesNames(), ...listRecordingRules().map((r) => r.record)]);
  const unknown = queries.flatMap((q) => metricNamesInExpr(q.expr).filter((name) => name.includes('samokoder_') && !known.has(name)).map((name) => `${q.panel}: ${name}`));
  assert.deepEqual(unknown, []);
});

test('no PromQL pitfalls: quantiles aggregate by le, type-labelled ratios ignore type', () => {
  for (const { panel, expr } of queries) {
    for (const m of expr.matchAll(/histogram_quantile\(\s*[0-9.]+\s*,\s*([a-z_]+)/g)) {
      assert.equal(m[1], 'sum', `${panel}: histogram_quantile without sum by (le, ...)`);
    }
    for (const m of expr.matchAll(/histogram_quantile\([^,]+,\s*sum by \(([^)]*)\)/g)) {
      assert.ok((m[1] as string).split(',').map((s) => s.trim()).includes('le'), `${panel}: sum by (${m[1]}) lacks le`);
    }
    if (/type="(used|free)"/.test(expr)) assert.match(expr, /\/ ignoring \(type\)/, `${panel}: divides type-labelled series without ignoring (type)`);
    if (/5\.\./.test(expr)) assert.match(expr, /^\(sum\(rate\(.*\)\) or vector\(0\)\) \/ sum\(rate\(/, `${panel}: both sides of the 5xx ratio must be summed`);
  }
});

test('thresholds drawn on the panels are the alert thresholds of the rules', () => {
  const alerts = new Map(listAlerts().map((a) => [a.alert, a.expr]));
  for (const [alert, { op, value }] of Object.entries(THRESHOLDS)) {
    const expr = alerts.get(alert);
    assert.ok(expr, `no alert ${alert} in monitoring/prometheus/rules`);
    const comparisons = [...expr.matchAll(/([<>])\s*([0-9][0-9.e]*)/g)].map((m) => `${m[1]} ${Number(m[2])}`);
    assert.ok(comparisons.includes(`${op} ${value}`), `${alert}: the rule compares ${comparisons.join(', ')}, the dashboard draws ${op} ${value}`);
  }
  // And each threshold is drawn on some panel (disk as used = 1 - free).
  const drawn = new Set(overview.panels.flatMap((p) => ((p.fieldConfig as { defaults: { thresholds: { steps: Array<{ value: number | null }> } } } | undefined)?.defaults.thresholds.steps ?? []).map((s) => s.value)));
  for (const [alert, { op, value }] of Object.entries(THRESHOLDS)) {
    const expected = op === '<' ? 1 - value : value;
    assert.ok(drawn.has(expected), `${alert}: no panel draws ${expected}`);
  }
});

test("the operator guide's panels and the extra rows are there, each with a unit and a description", () => {
  const titles = overview.panels.map((p) => p.title);
  for (const title of ['HTTP Request Rate', 'API Latency (p95)', 'Error Rate (5xx + 499)', 'Requests In Progress', 'LLM Request Rate', 'LLM Token Consumption', 'CPU', 'Memory', 'Disk', 'API Health']) {
    assert.ok(titles.includes(title), `missing panel ${title}`);
  }
  for (const rowTitle of ['Business', 'Database', 'Redis and PostgreSQL (exporters)', 'SLO and error budget (30 days)']) {
    assert.ok(overview.panels.some((p) => p.type === 'row' && p.title === rowTitle), `missing row ${rowTitle}`);
  }
  assert.equal(overview.title, 'Samokoder Overview');
  assert.equal(overview.uid, OVERVIEW_UID);
  for (const panel of overview.panels.filter((p) => p.type !== 'row')) {
    assert.ok((panel.fieldConfig as { defaults: { unit?: string } }).defaults.unit, `${panel.title}: no unit`);
    assert.ok(panel.description, `${panel.title}: no description`);
    assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' });
  }
  const ids = overview.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids repeat');
});

test('panels do not overlap on the grid', () => {
  const cells = new Map<string, string>();
  for (const panel of overview.panels) {
    const { x, y, w, h } = panel.gridPos as { x: number; y: number; w: number; h: number };
    assert.ok(x + w <= 24, `${panel.title} is wider than the grid`);
    for (let i = x; i < x + w; i++) {
      for (let j = y; j < y + h; j++) {
        const other = cells.get(`${i},${j}`);
        assert.equal(other, undefined, `${panel.title} overlaps ${other}`);
        cells.set(`${i},${j}`, panel.title as string);
      }
    }
  }
});

test('template variables: datasource defaulting to the provisioned uid, and instance', () => {
  const vars = new Map(overview.templating.list.map((v) => [v.name, v]));
  assert.equal(vars.get('datasource')?.type, 'datasource');
  assert.equal(vars.get('datasource')?.current.value, PROMETHEUS_UID);
  assert.equal(vars.get('instance')?.type, 'query');
  assert.ok(queries.filter((q) => q.expr.includes('samokoder_') && !q.expr.includes(':')).every((q) => q.expr.includes('instance=~"$instance"')), 'a raw API query ignores the instance variable');
});

test('provisioning: the datasource has the fixed uid and the Prometheus route prefix; the provider reads the mounted dashboards', () => {
  const datasources = parse(readFileSync(join(GRAFANA_DIR, 'provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string; type: string; url: string; isDefault: boolean }> };
  const prometheus = datasources.datasources.find((d) => d.type === 'prometheus');
  assert.equal(prometheus?.uid, PROMETHEUS_UID);
  assert.equal(prometheus?.isDefault, true);

  const services = resolvedServices();
  // The URL is compose's Prometheus under its --web.external-url path.
  const external = (services.prometheus?.command as string[]).find((a) => a.startsWith('--web.external-url='))?.split('=')[1] as string;
  assert.equal(prometheus?.url, `http://prometheus:${services.prometheus?.expose?.[0]}${new URL(external).pathname.replace(/\/$/, '')}`);

  const providers = parse(readFileSync(join(GRAFANA_DIR, 'provisioning/dashboards/samokoder.yml'), 'utf8')) as { providers: Array<{ type: string; options: { path: string } }> };
  const mount = (services.grafana?.volumes ?? []).map((v) => v.split(':')).find(([source]) => source === DASHBOARDS_DIR.replace(/\/$/, ''));
  assert.ok(mount, 'compose does not mount monitoring/grafana/dashboards into Grafana');
  assert.deepEqual(providers.providers.map((p) => [p.type, p.options.path]), [['file', mount[1]]]);
});
