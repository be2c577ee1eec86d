// `doctor` and `test-alert` against a real stack with no alert channel configured (so alerts go
// to the terminal printer, as for a new user of `npm start`): doctor reports healthy, a test alert
// is accepted, routed to the webhook and printed, and doctor names an exporter that was stopped.
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { doctorCommand } from '../../src/cli/doctor.ts';
import { testAlertCommand } from '../../src/cli/test-alert.ts';
import { freePort } from '../../src/stack/ports.ts';
import { waitForAlerts, waitForQuery } from '../support/prometheus.ts';
import { prometheusIntervals, severityTimings, startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let env: NodeJS.ProcessEnv;

/** Runs a command function, collecting its output. */
async function capture(run: (output: { out: (l: string) => void; err: (l: string) => void }) => Promise<number>): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await run({ out: (l) => lines.push(l), err: (l) => lines.push(l) });
  return { code, text: lines.join('\n') };
}

before(async () => {
  stack = await startTestStack();
  // Compose-style configuration: the commands find the services by URL (the dashboard viewer
  // answers Grafana's health and datasource API).
  env = { PROMETHEUS_URL: stack.urls.prometheus, ALERTMANAGER_URL: stack.urls.alertmanager, GRAFANA_URL: stack.urls.dashboard };
});

after(async () => {
  await stack?.close();
});

test('doctor reports a fresh stack healthy, exit 0, with a warning that the dead-man switch is off', async () => {
  const { code, text } = await capture((o) => doctorCommand([], env, o));
  assert.equal(code, 0, text);
  assert.match(text, /targets: all 7 up \(alertmanager, blackbox, node, postgres, prometheus, redis, samokoder-api\)/);
  assert.match(text, /rules: \d+ groups, \d+ alerts and \d+ recording rules loaded, none failing/);
  assert.match(text, /sends alerts to http:\/\/127\.0\.0\.1:\d+\/api\/v2\/alerts/);
  assert.match(text, /receivers: .*webhook \(webhook\)/);
  assert.match(text, /no active silences/);
  assert.match(text, /Dashboards http:\/\/127\.0\.0\.1:\d+\/\n  ✔ up \(version [0-9.]+\)\n  ✔ datasource Prometheus \(prometheus\): Successfully queried the Prometheus API\.\n  ✔ dashboards: Samokoder Overview/);
  // No WATCHDOG_URL in a fresh stack: healthy, but told that the dead-man's switch is off.
  assert.match(text, /⚠ The dead-man's switch is off \(WATCHDOG_URL is not set\)/);
  assert.match(text, /^Healthy \(1 warning\)\.$/m);
});

test('test-alert is accepted, routes to the webhook, and the stack prints it', async () => {
  const { code, text } = await capture((o) => testAlertCommand(['--severity', 'critical'], env, o));
  assert.equal(code, 0, text);
  assert.match(text, /accepted SamokoderTestAlert \(severity critical\)/);
  assert.match(text, /Routes to: webhook \(webhook\)/);
  const bound = severityTimings(stack, 'critical').groupWait + 20_000;
  const deadline = Date.now() + bound;
  while (!stack.printed.some((l) => l.includes('SamokoderTestAlert')) && Date.now() < deadline) await sleep(250);
  assert.deepEqual(
    stack.printed.filter((l) => l.includes('SamokoderTestAlert')),
    ['🔥 FIRING   critical SamokoderTestAlert (test-alert): Test alert (critical) from samokoder test-alert'],
  );
});

test('test-alert refuses an unknown severity with usage, exit 2', async () => {
  const { code, text } = await capture((o) => testAlertCommand(['--severity', 'page'], env, o));
  assert.equal(code, 2);
  assert.match(text, /--severity must be one of critical, warning, info/);
});

test('doctor names the stopped exporter and its scrape error, exit 1; healthy again once it is back', async () => {
  await stack.service('postgres_exporter').stop();
  const { scrape } = prometheusIntervals(stack);
  let result = { code: 0, text: '' };
  // Until Prometheus has scraped it once more (bounded by a few scrape intervals).
  const deadline = Date.now() + 5 * scrape + 10_000;
  while (Date.now() < deadline) {
    result = await capture((o) => doctorCommand([], env, o));
    if (result.code !== 0) break;
    await sleep(scrape / 2);
  }
  assert.equal(result.code, 1, result.text);
  assert.match(result.text, /✖ target postgres\/postgres \(http:\/\/127\.0\.0\.1:\d+\/metrics\) is down: .*connection refused/);
  assert.match(result.text, /^1 problem found \(1 warning\)\.$/m);
  assert.deepEqual(stack.crashes, [], 'a stop asked for is not a crash');

  await stack.service('postgres_exporter').restart();
  const again = Date.now() + 5 * scrape + 10_000;
  while (Date.now() < again) {
    result = await capture((o) => doctorCommand([], env, o));
    if (result.code === 0) break;
    await sleep(scrape / 2);
  }
  assert.equal(result.code, 0, result.text);
});

test('doctor against nothing: names what is unreachable, exit 1', async () => {
  const port = await freePort(); // nothing listens there
  const { code, text } = await capture((o) => doctorCommand([], { PROMETHEUS_URL: `http://127.0.0.1:${port}`, ALERTMANAGER_URL: `http://127.0.0.1:${port}/alertmanager` }, o));
  assert.equal(code, 1);
  assert.ok(text.includes(`Prometheus http://127.0.0.1:${port}/\n  ✖ not ready: http://127.0.0.1:${port}/-/ready unreachable: ECONNREFUSED`), text);
  assert.ok(text.includes(`✖ unreachable: http://127.0.0.1:${port}/alertmanager/api/v2/status unreachable: ECONNREFUSED`), text);
  assert.match(text, /^2 problems found\.$/m);
});

test('a config that Prometheus or Alertmanager rejects on reload: they keep the old one, and the reload-failure alerts go active', async () => {
  const files = [
    { file: stack.prometheusConfigFile, reload: `${stack.urls.prometheus}/-/reload`, alert: 'PrometheusConfigReloadFailed', metric: 'prometheus_config_last_reload_successful' },
    { file: stack.alertmanagerConfigFile, reload: `${stack.urls.alertmanager}/-/reload`, alert: 'AlertmanagerConfigReloadFailed', metric: 'alertmanager_config_last_reload_successful' },
  ];
  // The stack's own copies (never the repository's files behind a symlink).
  for (const { file } of files) assert.ok(!lstatSync(file).isSymbolicLink(), `${file} is a symlink`);
  const saved = files.map(({ file }) => readFileSync(file, 'utf8'));
  try {
    for (const { file, reload } of files) {
      writeFileSync(file, 'route: [this is not a config\n');
      assert.notEqual((await fetch(reload, { method: 'POST' })).status, 200, `${reload} accepted a broken file`);
    }
    for (const { metric } of files) await waitForQuery(stack.urls.prometheus, `max(${metric})`, (s) => s[0]?.value === 0, 30_000);
    await waitForAlerts(stack.urls.prometheus, files.map((f) => f.alert), 'any', 30_000);
    assert.equal((await fetch(`${stack.urls.api}/health`)).status, 200, 'the running configs were kept');
  } finally {
    files.forEach(({ file }, i) => writeFileSync(file, saved[i] as string));
    for (const { reload } of files) assert.equal((await fetch(reload, { method: 'POST' })).status, 200, `${reload} after restoring`);
  }
  for (const { metric } of files) await waitForQuery(stack.urls.prometheus, `max(${metric})`, (s) => s[0]?.value === 1, 30_000);
});
