// The central Prometheus of a multi-region setup (monitoring/prometheus/federation): promtool
// checks its config and rules and runs their unit tests; its alerts follow the same conventions as
// the regional ones (labels, annotations, runbook page listed in the index, fire and no-fire tests).
// test/e2e/federation.test.ts runs it for real.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { listAlerts, listAlertTestCases, listRecordingRules, runbookPath, runbookUrl, SEVERITIES, yamlFiles } from '../../src/monitoring/rules.ts';
import { RUNBOOKS_DIR, PROMETHEUS_DIR } from '../../src/monitoring/paths.ts';
import { requireBinary } from '../../src/packages.ts';

const FEDERATION_DIR = join(PROMETHEUS_DIR, 'federation');
const RULES = join(FEDERATION_DIR, 'rules');
const TESTS = join(FEDERATION_DIR, 'tests');

function promtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(requireBinary('promtool'), args, { cwd: FEDERATION_DIR, env: { PATH: process.env.PATH, SAMOKODER_ENV: 'production', REGION: 'global' }, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('promtool accepts central.yml and its rules, and their unit tests pass', () => {
  for (const args of [['check', 'config', 'central.yml'], ['check', 'rules', ...yamlFiles(RULES)], ['test', 'rules', ...yamlFiles(TESTS)]]) {
    const { status, output } = promtool(args);
    assert.equal(status, 0, `promtool ${args.join(' ')}:\n${output}`);
  }
});

test('the central federates the API series and every recorded series, keeping the regional labels', () => {
  const doc = parse(readFileSync(join(FEDERATION_DIR, 'central.yml'), 'utf8'));
  const federate = doc.scrape_configs.find((c: { job_name: string }) => c.job_name === 'federate');
  assert.equal(federate.honor_labels, true);
  assert.equal(federate.metrics_path, '/federate');
  const match: string[] = federate.params['match[]'];
  assert.ok(match.includes('{job="samokoder-api"}'));
  // Every regional recording rule's name matches the recorded-series selector.
  const recorded = new RegExp(`^(?:${/__name__=~"([^"]+)"/.exec(match.join(' '))?.[1]})$`);
  for (const { record } of listRecordingRules()) assert.match(record, recorded);
  assert.doesNotMatch('samokoder_http_requests_total', recorded, 'raw metrics are not selected twice');
});

test('central alerts follow the conventions: labels, annotations, runbook listed in the index, fire and no-fire tests', () => {
  const alerts = listAlerts(RULES);
  assert.ok(alerts.length > 0);
  const regional = new Set(listAlerts().map((a) => a.alert));
  const index = readFileSync(join(RUNBOOKS_DIR, 'README.md'), 'utf8');
  const cases = listAlertTestCases(TESTS);
  for (const a of alerts) {
    assert.ok(!regional.has(a.alert), `${a.alert} is also a regional alert name`);
    assert.ok((SEVERITIES as readonly string[]).includes(a.labels.severity ?? ''), `${a.alert}: severity`);
    assert.ok(a.labels.component && a.annotations.summary && a.annotations.description, `${a.alert}: component, summary, description`);
    assert.equal(a.annotations.runbook_url, runbookUrl(a.alert));
    assert.ok(existsSync(runbookPath(a.alert)), `no runbook page for ${a.alert}`);
    assert.ok(readFileSync(runbookPath(a.alert), 'utf8').includes(a.expr.trim()), `${a.alert}: the runbook page shows an outdated expression`);
    assert.ok(index.includes(`(${a.alert}.md)`), `docs/runbooks/README.md does not list ${a.alert}`);
    assert.ok(cases.some((c) => c.alertname === a.alert && c.firing), `${a.alert}: no promtool test where it fires`);
    assert.ok(cases.some((c) => c.alertname === a.alert && !c.firing), `${a.alert}: no promtool test where it stays silent`);
  }
  for (const { record } of listRecordingRules(RULES)) assert.match(record, /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/);
});
