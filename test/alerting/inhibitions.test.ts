// The inhibitions of monitoring/alertmanager/, on the real Alertmanager delivering to the Telegram
// double: for each cause, the alerts it explains are silenced and never sent, and the ones it does
// not explain — another environment or region, another instance, another component — still
// arrive. Every message says which environment and region it comes from.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { listAlertTestCases } from '../../src/monitoring/rules.ts';
import type { RunningAlertmanager } from '../../src/stack/alertmanager.ts';
import { startTestAlertmanager } from '../support/alertmanager-config.ts';
import { tempDir } from '../support/services.ts';
import { startTelegramDouble, type TelegramDouble } from '../support/telegram-double.ts';

const dir = tempDir('am-inhibit');
let telegram: TelegramDouble;
let am: RunningAlertmanager;

before(async () => {
  telegram = await startTelegramDouble();
  am = await startTestAlertmanager(dir.path, { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_CHAT_ID: '-100555', TELEGRAM_API_URL: telegram.url });
});
after(async () => {
  await am?.process.stop();
  await telegram?.close();
  dir.remove();
});

type Labels = Record<string, string>;
const API = { job: 'samokoder-api' };
const ruleCases = listAlertTestCases();

/**
 * The labels rule `alertname` fires with, as its promtool tests expect them: the first expected
 * alert whose labels include `match`. Alerts posted here carry what the rules really emit, so a
 * rule that loses a label an inhibition matches on fails this test too.
 */
function ruleLabels(alertname: string, match: Labels): Labels {
  const found = ruleCases
    .filter((c) => c.alertname === alertname)
    .flatMap((c) => c.expLabels)
    .find((labels) => Object.entries(match).every(([k, v]) => labels[k] === v));
  if (found === undefined) throw new Error(`no promtool case expects ${alertname} firing with ${JSON.stringify(match)}`);
  return found;
}

/**
 * An alert as Prometheus sends it: the labels its rule fires with (the promtool case matching
 * `match`), `override` for what tells targets apart (instance, mountpoint, container), and the
 * external labels of its server.
 */
function alert(alertname: string, where: { environment: string; region: string }, match: Labels = {}, override: Labels = {}) {
  const labels = { ...ruleLabels(alertname, match), ...override, alertname, ...where };
  // What tells two alerts of one name apart, so each has a summary of its own.
  const on = ['instance', 'mountpoint', 'name'].filter((k) => override[k]).map((k) => ` ${k} ${override[k]}`).join('');
  return { labels, annotations: { summary: `${alertname} in ${where.environment}/${where.region}${on}` } };
}

/** Posts `alerts`, waits until every one in `arrive` is on Telegram, then once more a group interval; returns what was inhibited and sent. */
async function scenario(alerts: Array<ReturnType<typeof alert>>, arrive: Array<ReturnType<typeof alert>>) {
  const res = await fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
  assert.equal(res.status, 200, await res.text());
  const summary = (a: ReturnType<typeof alert>) => a.annotations.summary;
  await telegram.waitForMessages(arrive.length, 30_000, (m) => arrive.some((a) => m.text.includes(summary(a))));
  await new Promise((r) => setTimeout(r, 5_000)); // an inhibited alert would have been sent by now
  const state = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as Array<{ labels: Labels; status: { inhibitedBy: string[] } }>;
  const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort());
  const inhibited = new Set(state.filter((a) => a.status.inhibitedBy.length > 0).map((a) => key(a.labels)));
  return {
    inhibited: (a: ReturnType<typeof alert>) => inhibited.has(key(a.labels)),
    // A message lists each alert on a line of its own, ending with its summary.
    sent: (a: ReturnType<typeof alert>) => telegram.messages.some((m) => m.text.split('\n').some((line) => line.endsWith(summary(a)))),
  };
}

/** Asserts `a` was silenced and never sent, or not silenced and delivered. */
function expectSilenced(result: Awaited<ReturnType<typeof scenario>>, a: ReturnType<typeof alert>, silenced: boolean, why: string) {
  assert.equal(result.inhibited(a), silenced, `${a.annotations.summary}: ${why}`);
  assert.equal(result.sent(a), !silenced, `${a.annotations.summary} ${silenced ? 'was sent' : 'did not arrive'}: ${why}`);
}

test('the only API instance cannot be scraped: the alerts computed from its metrics are silenced in its environment only', async () => {
  const prod = { environment: 'production', region: 'eu-central' };
  const staging = { environment: 'staging', region: 'eu-central' };
  const down = alert('APIDown', prod, { scope: 'job', cause: 'scrape', instance: 'api' });
  const errors = alert('HighErrorRate', prod);
  const burn = alert('LatencySLOFastBurn', prod, API);
  const llm = alert('HighLLMErrorRate', prod);
  const cpu = alert('HighCPUUsage', prod);
  const stagingErrors = alert('HighErrorRate', staging);
  const postgres = alert('PostgresDown', prod);
  const result = await scenario([down, errors, burn, llm, cpu, stagingErrors, postgres], [down, stagingErrors, postgres]);
  expectSilenced(result, down, false, 'the cause pages');
  for (const a of [errors, burn, llm, cpu]) expectSilenced(result, a, true, 'computed from the metrics of an API that is down');
  expectSilenced(result, stagingErrors, false, 'another environment');
  expectSilenced(result, postgres, false, 'not computed from the API');
});

test('the API answers scrapes but not users (probe): only the warnings restating it are silenced; the SLO burn and the likely causes still arrive', async () => {
  const sa = { environment: 'production', region: 'sa-east' };
  const down = alert('APIDown', sa, { cause: 'probe' });
  const errors = alert('HighErrorRate', sa);
  const latency = alert('HighLatency', sa);
  const burn = alert('AvailabilitySLOFastBurn', sa, API);
  const disk = alert('LowDiskSpace', sa);
  const llm = alert('HighLLMErrorRate', sa);
  const auth = alert('AuthenticationFailureSpike', sa);
  const result = await scenario([down, errors, latency, burn, disk, llm, auth], [down, burn, disk, llm, auth]);
  expectSilenced(result, down, false, 'users get no answer: it pages');
  for (const a of [errors, latency]) expectSilenced(result, a, true, 'says again what the probe page says');
  expectSilenced(result, burn, false, 'the API is alive and its metrics current: the budget page stays');
  for (const a of [disk, llm, auth]) expectSilenced(result, a, false, 'live metrics of a running API, possibly the cause');
});

test('one API instance of several down: only its own per-instance alerts are silenced; the job-wide ones still arrive', async () => {
  const us = { environment: 'production', region: 'us-east' };
  const down = alert('APIDown', us, { scope: 'instance' }, { instance: 'api-1' });
  const ownCpu = alert('HighCPUUsage', us, {}, { instance: 'api-1' });
  const otherCpu = alert('HighCPUUsage', us, {}, { instance: 'api-2' });
  const errors = alert('HighErrorRate', us);
  const result = await scenario([down, ownCpu, otherCpu, errors], [down, otherCpu, errors]);
  expectSilenced(result, ownCpu, true, 'the down instance measured it');
  expectSilenced(result, otherCpu, false, 'another instance');
  expectSilenced(result, errors, false, 'about the instances that still serve users');
});

test('every API instance down: the per-instance APIDowns and the job-wide alerts are silenced in that region only', async () => {
  const ap = { environment: 'production', region: 'ap-south' };
  const eu = { environment: 'production', region: 'eu-west' };
  const all = alert('APIAllInstancesDown', ap);
  const one = alert('APIDown', ap, { scope: 'instance' }, { instance: 'api-1' });
  const errors = alert('HighErrorRate', ap);
  const elsewhere = alert('APIDown', eu, { scope: 'instance' }, { instance: 'api-1' });
  const result = await scenario([all, one, errors, elsewhere], [all, elsewhere]);
  expectSilenced(result, one, true, 'explained by every instance being down');
  expectSilenced(result, errors, true, 'stale windows of a job that is gone');
  expectSilenced(result, elsewhere, false, 'another region');
});

test('PostgreSQL down: the API database alerts of its environment are silenced, the user-facing ones still page', async () => {
  const local = { environment: 'development', region: 'local' };
  const other = { environment: 'development', region: 'lab' };
  const postgres = alert('PostgresDown', local);
  const dbErrors = alert('DatabaseErrors', local);
  const slowQueries = alert('SlowDatabaseQueries', local);
  const burn = alert('AvailabilitySLOFastBurn', local, API);
  const otherErrors = alert('DatabaseErrors', other);
  const result = await scenario([postgres, dbErrors, slowQueries, burn, otherErrors], [postgres, burn, otherErrors]);
  expectSilenced(result, dbErrors, true, 'a consequence of PostgreSQL being down');
  expectSilenced(result, slowQueries, true, 'a consequence of PostgreSQL being down');
  expectSilenced(result, burn, false, 'users are failing: the SLO page stays');
  expectSilenced(result, otherErrors, false, 'another region');
});

test('a full host filesystem silences the trend warning of that filesystem only; an OOM kill silences that container\'s restart', async () => {
  const host = { environment: 'production', region: 'eu-central' };
  const full = alert('HostFilesystemAlmostFull', host, {}, { mountpoint: '/' });
  const fillingSame = alert('HostFilesystemFillingUp', host, {}, { mountpoint: '/' });
  const fillingOther = alert('HostFilesystemFillingUp', host, {}, { mountpoint: '/var/lib/docker' });
  const inodes = alert('HostInodesAlmostExhausted', host, {}, { mountpoint: '/srv' });
  const inodesTrend = alert('HostInodesFillingUp', host, {}, { mountpoint: '/srv' });
  const oom = alert('ContainerOOMKilled', host, {}, { name: 'samokoder-api' });
  const restartedSame = alert('ContainerRestarted', host, {}, { name: 'samokoder-api' });
  const restartedOther = alert('ContainerRestarted', host, {}, { name: 'samokoder-grafana' });
  const result = await scenario([full, fillingSame, fillingOther, inodes, inodesTrend, oom, restartedSame, restartedOther], [full, fillingOther, inodes, oom, restartedOther]);
  expectSilenced(result, fillingSame, true, 'the same filesystem is already almost full');
  expectSilenced(result, fillingOther, false, 'another filesystem');
  expectSilenced(result, inodesTrend, true, 'the same filesystem is already out of inodes');
  expectSilenced(result, restartedSame, true, 'restarted because it was OOM-killed');
  expectSilenced(result, restartedOther, false, 'another container');
});

test('every message names its environment and region; same alert, two environments: two messages', () => {
  const downs = telegram.messages.filter((m) => /^🔥 CRITICAL · FIRING\nAPIDown · component api · /.test(m.text));
  const where = downs.map((m) => /^APIDown · component api · (\S+)$/m.exec(m.text)?.[1]).sort();
  assert.deepEqual(where, ['production/eu-central', 'production/eu-west', 'production/sa-east', 'production/us-east']);
  for (const m of telegram.messages) assert.match(m.text, /^\S+ · component \S+ · (production|staging|development)\/[a-z-]+$/m, m.text);
});
