// The inhibitions of monitoring/alertmanager/, on the real Alertmanager delivering to the Telegram
// double: for each cause, the alerts it explains are silenced and never sent, and the ones it does
// not explain — another environment or region, another instance, another component — still
// arrive. Every message says which environment and region it comes from.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
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

/** An alert as Prometheus sends it: the rule's labels plus the external labels of its server. */
function alert(alertname: string, severity: string, component: string, where: { environment: string; region: string }, labels: Labels = {}) {
  // What tells two alerts of one name apart, so each has a summary of its own.
  const on = ['instance', 'mountpoint', 'name'].filter((k) => labels[k]).map((k) => ` ${k} ${labels[k]}`).join('');
  return { labels: { alertname, severity, component, ...where, ...labels }, annotations: { summary: `${alertname} in ${where.environment}/${where.region}${on}` } };
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

test('the only API instance down: the alerts computed from its metrics are silenced in its environment only', async () => {
  const prod = { environment: 'production', region: 'eu-central' };
  const staging = { environment: 'staging', region: 'eu-central' };
  const down = alert('APIDown', 'critical', 'api', prod, { ...API, instance: 'api', scope: 'job' });
  const errors = alert('HighErrorRate', 'warning', 'api', prod, API);
  const burn = alert('LatencySLOFastBurn', 'critical', 'slo', prod, API);
  const llm = alert('HighLLMErrorRate', 'warning', 'llm', prod, { ...API, provider: 'openai' });
  const cpu = alert('HighCPUUsage', 'warning', 'system', prod, { ...API, instance: 'api' });
  const stagingErrors = alert('HighErrorRate', 'warning', 'api', staging, API);
  const postgres = alert('PostgresDown', 'critical', 'database', prod, { job: 'postgres', instance: 'postgres', cause: 'database' });
  const result = await scenario([down, errors, burn, llm, cpu, stagingErrors, postgres], [down, stagingErrors, postgres]);
  expectSilenced(result, down, false, 'the cause pages');
  for (const a of [errors, burn, llm, cpu]) expectSilenced(result, a, true, 'computed from the metrics of an API that is down');
  expectSilenced(result, stagingErrors, false, 'another environment');
  expectSilenced(result, postgres, false, 'not computed from the API');
});

test('one API instance of several down: only its own per-instance alerts are silenced; the job-wide ones still arrive', async () => {
  const us = { environment: 'production', region: 'us-east' };
  const down = alert('APIDown', 'critical', 'api', us, { ...API, instance: 'api-1', scope: 'instance' });
  const ownCpu = alert('HighCPUUsage', 'warning', 'system', us, { ...API, instance: 'api-1' });
  const otherCpu = alert('HighCPUUsage', 'warning', 'system', us, { ...API, instance: 'api-2' });
  const errors = alert('HighErrorRate', 'warning', 'api', us, API);
  const result = await scenario([down, ownCpu, otherCpu, errors], [down, otherCpu, errors]);
  expectSilenced(result, ownCpu, true, 'the down instance measured it');
  expectSilenced(result, otherCpu, false, 'another instance');
  expectSilenced(result, errors, false, 'about the instances that still serve users');
});

test('every API instance down: the per-instance APIDowns and the job-wide alerts are silenced in that region only', async () => {
  const ap = { environment: 'production', region: 'ap-south' };
  const eu = { environment: 'production', region: 'eu-west' };
  const all = alert('APIAllInstancesDown', 'critical', 'api', ap, API);
  const one = alert('APIDown', 'critical', 'api', ap, { ...API, instance: 'api-1', scope: 'instance' });
  const errors = alert('HighErrorRate', 'warning', 'api', ap, API);
  const elsewhere = alert('APIDown', 'critical', 'api', eu, { ...API, instance: 'api-1', scope: 'instance' });
  const result = await scenario([all, one, errors, elsewhere], [all, elsewhere]);
  expectSilenced(result, one, true, 'explained by every instance being down');
  expectSilenced(result, errors, true, 'stale windows of a job that is gone');
  expectSilenced(result, elsewhere, false, 'another region');
});

test('PostgreSQL down: the API database alerts of its environment are silenced, the user-facing ones still page', async () => {
  const local = { environment: 'development', region: 'local' };
  const other = { environment: 'development', region: 'lab' };
  const postgres = alert('PostgresDown', 'critical', 'database', local, { job: 'postgres', instance: 'postgres', cause: 'database' });
  const dbErrors = alert('DatabaseErrors', 'warning', 'database', local, API);
  const slowQueries = alert('SlowDatabaseQueries', 'warning', 'database', local, API);
  const burn = alert('AvailabilitySLOFastBurn', 'critical', 'slo', local, API);
  const otherErrors = alert('DatabaseErrors', 'warning', 'database', other, API);
  const result = await scenario([postgres, dbErrors, slowQueries, burn, otherErrors], [postgres, burn, otherErrors]);
  expectSilenced(result, dbErrors, true, 'a consequence of PostgreSQL being down');
  expectSilenced(result, slowQueries, true, 'a consequence of PostgreSQL being down');
  expectSilenced(result, burn, false, 'users are failing: the SLO page stays');
  expectSilenced(result, otherErrors, false, 'another region');
});

test('a full host filesystem silences the trend warning of that filesystem only; an OOM kill silences that container\'s restart', async () => {
  const host = { environment: 'production', region: 'eu-central' };
  const node = { job: 'node', instance: 'node' };
  const full = alert('HostFilesystemAlmostFull', 'critical', 'host', host, { ...node, mountpoint: '/' });
  const fillingSame = alert('HostFilesystemFillingUp', 'warning', 'host', host, { ...node, mountpoint: '/' });
  const fillingOther = alert('HostFilesystemFillingUp', 'warning', 'host', host, { ...node, mountpoint: '/var/lib/docker' });
  const inodes = alert('HostInodesAlmostExhausted', 'critical', 'host', host, { ...node, mountpoint: '/srv' });
  const inodesTrend = alert('HostInodesFillingUp', 'warning', 'host', host, { ...node, mountpoint: '/srv' });
  const cadvisor = { job: 'cadvisor', instance: 'cadvisor' };
  const oom = alert('ContainerOOMKilled', 'warning', 'containers', host, { ...cadvisor, name: 'samokoder-api' });
  const restartedSame = alert('ContainerRestarted', 'warning', 'containers', host, { ...cadvisor, name: 'samokoder-api' });
  const restartedOther = alert('ContainerRestarted', 'warning', 'containers', host, { ...cadvisor, name: 'samokoder-grafana' });
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
  assert.deepEqual(where, ['production/eu-central', 'production/eu-west', 'production/us-east']);
  for (const m of telegram.messages) assert.match(m.text, /^\S+ · component \S+ · (production|staging|development)\/[a-z-]+$/m, m.text);
});
