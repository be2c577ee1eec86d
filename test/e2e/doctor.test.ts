// `doctor` and `test-alert` against a real stack with no alert channel configured (so alerts go
// to the terminal printer, as for a new user of `npm start`): doctor reports healthy, a test alert
// is accepted, routed to the webhook and printed, and doctor names an exporter that was stopped.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { doctorCommand } from '../../src/cli/doctor.ts';
import { testAlertCommand } from '../../src/cli/test-alert.ts';
import { freePort } from '../../src/stack/ports.ts';
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
  // Compose-style configuration: the commands find the services by URL.
  env = { PROMETHEUS_URL: stack.urls.prometheus, ALERTMANAGER_URL: stack.urls.alertmanager };
});

after(async () => {
  await stack?.close();
});

test('doctor reports a fresh stack healthy, exit 0', async () => {
  const { code, text } = await capture((o) => doctorCommand([], env, o));
  assert.equal(code, 0, text);
  assert.match(text, /targets: all 6 up \(alertmanager, node, postgres, prometheus, redis, samokoder-api\)/);
  assert.match(text, /rules: \d+ groups, \d+ alerts and \d+ recording rules loaded, none failing/);
  assert.match(text, /sends alerts to http:\/\/127\.0\.0\.1:\d+\/api\/v2\/alerts/);
  assert.match(text, /receivers: .*webhook \(webhook\)/);
  assert.match(text, /no active silences/);
  assert.match(text, /Grafana: GRAFANA_URL not set/);
  assert.match(text, /^Healthy\.$/m);
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
  assert.match(result.text, /^1 problem found\.$/m);
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
