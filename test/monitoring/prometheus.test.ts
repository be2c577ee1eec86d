// The Prometheus configuration and rules, proved with the real tools: promtool checks the config
// and the rules and runs every unit test in monitoring/prometheus/tests/; a real Prometheus runs
// the config laid out as the local launcher lays it out. Structural checks hold every alert to the
// conventions (labels, annotations, runbook page, fire and no-fire tests, catalogue metric names).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { parse } from 'yaml';
import { exportedSeriesNames } from '../../src/metrics/catalogue.ts';
import { DEADMAN_ALERT, listAlerts, listAlertTestCases, listRecordingRules, metricNamesInExpr, runbookPath, runbookUrl, SEVERITIES, sourceMetrics, yamlFiles } from '../../src/monitoring/rules.ts';
import { RULE_TESTS_DIR, RUNBOOKS_DIR, PROMETHEUS_CONFIG, PROMETHEUS_DIR, RULES_DIR } from '../../src/monitoring/paths.ts';
import { requireBinary } from '../../src/packages.ts';
import { freePort } from '../../src/stack/ports.ts';
import { httpReady, startProcess } from '../../src/stack/process.ts';
import { writePrometheusRuntime } from '../../src/monitoring/prometheus.ts';
import { tempDir } from '../support/services.ts';

/** Runs promtool; returns its exit code and combined output. */
function promtool(args: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH }): { status: number | null; output: string } {
  const r = spawnSync(requireBinary('promtool'), args, { cwd: PROMETHEUS_DIR, env, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Lines of promtool output that are neither a file header nor a success line. */
function complaints(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(Checking |SUCCESS|Unit Testing: )/.test(l));
}

// The environment the launcher (and docker-compose) give Prometheus for its external labels.
const LAUNCHER_ENV = { PATH: process.env.PATH, SAMOKODER_ENV: 'production', REGION: 'eu-central' };

test('promtool check config passes without warnings, with and without the external-label variables', () => {
  for (const env of [LAUNCHER_ENV, { PATH: process.env.PATH }]) {
    const { status, output } = promtool(['check', 'config', PROMETHEUS_CONFIG], env);
    assert.equal(status, 0, output);
    assert.deepEqual(complaints(output), [], output);
    assert.match(output, new RegExp(`SUCCESS: ${yamlFiles(RULES_DIR).length} rule files found`), output);
  }
});

test('promtool check rules passes without warnings', () => {
  const { status, output } = promtool(['check', 'rules', ...yamlFiles(RULES_DIR)]);
  assert.equal(status, 0, output);
  assert.deepEqual(complaints(output), [], output);
});

test('promtool test rules: every unit test in monitoring/prometheus/tests passes', () => {
  const files = yamlFiles(RULE_TESTS_DIR);
  assert.ok(files.length > 0, 'no promtool test files');
  const { status, output } = promtool(['test', 'rules', ...files]);
  assert.equal(status, 0, `promtool test rules failed:\n${output}`);
});

test('every alert has an allowed severity, a component, summary, description and its runbook page', () => {
  const alerts = listAlerts();
  const names = alerts.map((a) => a.alert);
  assert.equal(new Set(names).size, names.length, `alert names must be unique (one runbook each): ${names}`);
  for (const a of alerts) {
    const where = `${a.alert} (${a.file})`;
    const severity = a.labels.severity ?? '';
    if (a.alert === DEADMAN_ALERT) assert.equal(severity, 'none', `${where}: the dead-man's switch heartbeat is severity none`);
    else assert.ok((SEVERITIES as readonly string[]).includes(severity), `${where}: severity '${severity}' is not one of ${SEVERITIES.join('|')}`);
    assert.ok(a.labels.component, `${where}: no component label`);
    assert.ok(a.annotations.summary, `${where}: no summary`);
    assert.ok(a.annotations.description, `${where}: no description`);
    assert.equal(a.annotations.runbook_url, runbookUrl(a.alert), `${where}: runbook_url`);
    assert.ok(existsSync(runbookPath(a.alert)), `${where}: no runbook page ${runbookPath(a.alert)}`);
    // The page shows the rule's expression: it must be the current one.
    assert.ok(readFileSync(runbookPath(a.alert), 'utf8').includes(a.expr.trim()), `${where}: the runbook page shows an outdated expression`);
  }
  const index = readFileSync(join(RUNBOOKS_DIR, 'README.md'), 'utf8');
  for (const name of names) assert.ok(index.includes(`(${name}.md)`), `docs/runbooks/README.md does not list ${name}`);
});

test('every alert has a promtool test where it fires and one where it stays silent', () => {
  const cases = listAlertTestCases();
  for (const { alert } of listAlerts()) {
    assert.ok(cases.some((c) => c.alertname === alert && c.firing), `${alert}: no promtool test expects it to fire`);
    if (alert !== DEADMAN_ALERT) assert.ok(cases.some((c) => c.alertname === alert && !c.firing), `${alert}: no promtool test expects it to stay silent`);
  }
  const known = new Set(listAlerts().map((a) => a.alert));
  for (const c of cases) assert.ok(known.has(c.alertname), `${c.file} (${c.test}) tests an alert that does not exist: ${c.alertname}`);
});

// Series that come from outside the catalogue: Prometheus itself, Alertmanager and the exporters.
const FOREIGN_METRIC = /^(up|ALERTS|ALERTS_FOR_STATE|pg_.+|redis_.+|node_.+|container_.+|probe_.+|prometheus_.+|alertmanager_.+)$/;

test('rule expressions read only catalogue metrics, recorded series and exporter/Prometheus metrics', () => {
  const catalogue = exportedSeriesNames();
  const recorded = new Set(listRecordingRules().map((r) => r.record));
  const rules = [...listAlerts().map((a) => ({ name: a.alert, expr: a.expr })), ...listRecordingRules().map((r) => ({ name: r.record, expr: r.expr }))];
  for (const { name, expr } of rules) {
    for (const metric of metricNamesInExpr(expr)) {
      assert.ok(catalogue.has(metric) || recorded.has(metric) || FOREIGN_METRIC.test(metric), `${name} reads '${metric}', which is neither in src/metrics/catalogue.ts nor recorded nor an exporter metric`);
    }
  }
});

test('APIMetricsMissing watches exactly the catalogue metrics that alerts read (a histogram by its _count)', () => {
  const catalogue = exportedSeriesNames();
  const alerts = listAlerts();
  const watcher = alerts.find((a) => a.alert === 'APIMetricsMissing');
  assert.ok(watcher, 'APIMetricsMissing is missing');
  const bySeries = (metric: string) => metric.replace(/_(bucket|sum)$/, '_count');
  const read = new Set(alerts.filter((a) => a !== watcher).flatMap((a) => sourceMetrics(a.expr)).filter((m) => catalogue.has(m)).map(bySeries));
  const watched = new Set(metricNamesInExpr(watcher.expr).filter((m) => m !== 'up'));
  assert.deepEqual([...watched].sort(), [...read].sort());
});

test('sourceMetrics follows recorded series to the raw metrics they read', () => {
  const recorded = new Map([
    ['job:a:ratio', 'sum by (job) (rate(a_total[5m])) / sum by (job) (rate(b_total[5m]))'],
    ['job:c:rate', 'job:a:ratio * on (job) c_total'],
  ]);
  assert.deepEqual(sourceMetrics('job:c:rate > 1 and up == 1', recorded).sort(), ['a_total', 'b_total', 'c_total', 'up']);
});

test('recording rules are named level:metric:operations, once each', () => {
  const records = listRecordingRules().map((r) => r.record);
  assert.equal(new Set(records).size, records.length, 'a series is recorded by two rules');
  for (const name of records) assert.match(name, /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/, name);
});

// The operator guide's alert tables (docs/monitoring.md): severity and how long the condition holds.
const GUIDE_ALERTS: Record<string, { severity: string; for?: string }> = {
  APIDown: { severity: 'critical', for: '1m' },
  LowDiskSpace: { severity: 'critical', for: '5m' },
  HighErrorRate: { severity: 'warning', for: '5m' },
  HighLatency: { severity: 'warning', for: '10m' },
  HighLLMErrorRate: { severity: 'warning', for: '10m' },
  HighCPUUsage: { severity: 'warning', for: '10m' },
  HighMemoryUsage: { severity: 'warning', for: '10m' },
  HighRateLimitHits: { severity: 'info' },
  NoProjectsCreated: { severity: 'info' },
};

test("the operator guide's nine alerts exist with the operator guide's severities and durations", () => {
  const alerts = listAlerts();
  for (const [name, expected] of Object.entries(GUIDE_ALERTS)) {
    const rule = alerts.find((a) => a.alert === name);
    assert.ok(rule, `${name} is missing`);
    assert.equal(rule.labels.severity, expected.severity, `${name}: severity`);
    if (expected.for) assert.equal(rule.for, expected.for, `${name}: for`);
  }
});

test('metricNamesInExpr finds the selected metrics and nothing else', () => {
  const expr = `sum by (job) (rate(a_total{status=~"5.."}[5m])) / on (job) group_left (x) (max by (job) (b:rec:ratio) > 0)
    and absent(up{job="x"}) or vector(1) * 1e6 unless c offset 2h
    or label_replace(histogram_quantile(0.95, sum by (le) (rate(d_bucket[1h]))), "cause", "db", "", "") > bool Inf`;
  assert.deepEqual(metricNamesInExpr(expr), ['a_total', 'b:rec:ratio', 'up', 'c', 'd_bucket']);
});

test('a real Prometheus runs the config as the launcher lays it out: labels from the environment, alert path from the route prefix', async () => {
  const dir = tempDir('prometheus-config');
  const port = await freePort();
  // Two Alertmanagers that need not exist: Prometheus lists where it would send.
  const configFile = writePrometheusRuntime(join(dir.path, 'runtime'), [
    { job: 'alertmanager', address: '127.0.0.1:9', instance: 'prefixed', metricsPath: '/alertmanager/metrics' },
    { job: 'alertmanager', address: '127.0.0.1:7', instance: 'root', metricsPath: '/metrics' },
  ]);
  const base = `http://127.0.0.1:${port}`;
  const prometheus = await startProcess({
    name: 'prometheus',
    command: requireBinary('prometheus'),
    args: [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir.path, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=expand-external-labels'],
    env: { ...LAUNCHER_ENV, SAMOKODER_ENV: 'test', REGION: 'eu-test' },
    logFile: join(dir.path, 'prometheus.log'),
    ready: httpReady(`${base}/-/ready`),
    readyTimeoutMs: 20_000,
  });
  try {
    const get = async (path: string) => ((await (await fetch(`${base}${path}`)).json()) as { data: Record<string, unknown> }).data;

    const config = parse((await get('/api/v1/status/config')).yaml as string) as { global: { external_labels: Record<string, string> } };
    assert.deepEqual(config.global.external_labels, { environment: 'test', region: 'eu-test' });

    // Notifier discovery is throttled to one update per 5 s: poll, bounded.
    let urls: string[] = [];
    for (let i = 0; i < 100 && urls.length < 2; i++) {
      urls = ((await get('/api/v1/alertmanagers')).activeAlertmanagers as Array<{ url: string }>).map((a) => a.url).sort();
      if (urls.length < 2) await sleep(200);
    }
    assert.deepEqual(urls, ['http://127.0.0.1:7/api/v2/alerts', 'http://127.0.0.1:9/alertmanager/api/v2/alerts']);

    const loaded = ((await get('/api/v1/rules')).groups as Array<{ name: string }>).map((g) => g.name).sort();
    const defined = [...new Set([...listAlerts(), ...listRecordingRules()].map((r) => r.group))].sort();
    assert.deepEqual(loaded, defined);
  } finally {
    await prometheus.stop();
    dir.remove();
  }
});
