// Two real Alertmanagers (Debian's 0.25) clustered over gossip on loopback, with the config our
// renderer produces, delivering to the Telegram double (and Watchdog to a dead-man's-switch
// webhook). A real Prometheus (the committed prometheus.yml and rules) lists both as its
// Alertmanagers, and the test posts alerts to both as Prometheus does. It proves the HA pair sends
// one notification per group (the gossiped notification log deduplicates), and that alerts are
// still delivered once one instance is killed.
//
// Only timings are shortened: group_wait/group_interval (as in test/alerting/alertmanager.test.ts),
// the peer timeout (how long the second member waits for the first one's log entry), the settle
// timeout, and Prometheus' intervals and alert resend delay.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAlertmanager, type RunningAlertmanager } from '../../src/stack/alertmanager.ts';
import { freePort } from '../../src/stack/ports.ts';
import { writePrometheusRuntime } from '../../src/monitoring/prometheus.ts';
import { renderShortened } from '../support/alertmanager-config.ts';
import { startTestPrometheus, type RunningServer } from '../support/prometheus.ts';
import { tempDir } from '../support/services.ts';
import { startTelegramDouble, type TelegramDouble } from '../support/telegram-double.ts';

const WAIT_MS = 30_000;
const PEER_TIMEOUT_S = 2;
const dir = tempDir('am-ha');
let telegram: TelegramDouble;
let members: RunningAlertmanager[] = [];
let prometheus: RunningServer | undefined;
/** The dead-man's switch: counts the Watchdog notifications it receives. */
let heartbeats = 0;
let deadman: Server;

before(async () => {
  telegram = await startTelegramDouble();
  deadman = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      heartbeats++;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => deadman.listen(0, '127.0.0.1', resolve));
  const file = renderShortened(dir.path, 'alertmanager', {
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_CHAT_ID: '-100777',
    TELEGRAM_API_URL: telegram.url,
    WATCHDOG_URL: `http://127.0.0.1:${(deadman.address() as AddressInfo).port}/ping`,
  });

  const [webA, webB, gossipA, gossipB] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const member = (name: string, port: number, listenPort: number, peer: number) =>
    startAlertmanager({
      configFile: file,
      dataDir: join(dir.path, name),
      port,
      logFile: join(dir.path, `${name}.log`),
      cluster: { listenPort, peers: [`127.0.0.1:${peer}`], settleTimeout: '2s', peerTimeout: `${PEER_TIMEOUT_S}s` },
    });
  members = await Promise.all([member('a', webA, gossipA, gossipB), member('b', webB, gossipB, gossipA)]);
});

after(async () => {
  await prometheus?.process.stop();
  await Promise.all(members.map((m) => m.process.stop()));
  await telegram?.close();
  await new Promise((resolve) => deadman?.close(resolve));
  dir.remove();
});

interface ClusterStatus {
  status: string;
  peers: Array<{ address: string }>;
}

async function clusterStatus(am: RunningAlertmanager): Promise<ClusterStatus> {
  const res = await fetch(`${am.url}/api/v2/status`, { signal: AbortSignal.timeout(2_000) });
  return ((await res.json()) as { cluster: ClusterStatus }).cluster;
}

/** Posts `alertname` (a warning: Telegram only) to every member, as Prometheus does; returns how many accepted it. */
async function postToAll(alertname: string): Promise<number> {
  const body = JSON.stringify([{ labels: { alertname, severity: 'warning', component: 'api', environment: 'test', region: 'local' }, annotations: { summary: `${alertname} summary` } }]);
  const results = await Promise.allSettled(
    members.map((m) => fetch(`${m.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(2_000) })),
  );
  return results.filter((r) => r.status === 'fulfilled' && r.value.status === 200).length;
}

/** Each live member's `alertmanager_notifications_total{integration=...}` (sends attempted after deduplication). */
async function sends(live: RunningAlertmanager[], integration: string): Promise<number[]> {
  return Promise.all(
    live.map(async (m) => {
      const text = await (await fetch(`${m.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`alertmanager_notifications_total{integration="${integration}"}`));
      return Number(line?.split(' ')[1] ?? Number.NaN);
    }),
  );
}

/** Member 2 sends only after waiting its peer timeout without seeing member 1's log entry: wait that long twice over, plus group intervals. */
const DEDUP_WINDOW_MS = (2 * PEER_TIMEOUT_S + 4) * 1000;

const messagesFor = (alertname: string) => telegram.messages.filter((m) => m.text.includes(alertname));

test('the two Alertmanagers form one cluster over loopback gossip', async () => {
  const deadline = Date.now() + WAIT_MS;
  let statuses: ClusterStatus[] = [];
  while (Date.now() < deadline) {
    statuses = await Promise.all(members.map(clusterStatus));
    if (statuses.every((s) => s.status === 'ready' && s.peers.length === 2)) break;
    await sleep(200);
  }
  for (const s of statuses) {
    assert.equal(s.status, 'ready');
    assert.deepEqual(s.peers.map((p) => p.address.split(':')[0]).sort(), ['127.0.0.1', '127.0.0.1'], 'both peers, on loopback');
  }
});

test('an alert posted to both members is notified once', async () => {
  assert.equal(await postToAll('HaDedupCheck'), 2, 'both members accepted the alert');
  await telegram.waitForMessages(1, WAIT_MS, (m) => m.text.includes('HaDedupCheck'));
  await sleep(DEDUP_WINDOW_MS);
  assert.equal(messagesFor('HaDedupCheck').length, 1, 'one Telegram message for the group');
  assert.deepEqual(
    [...(await sends(members, 'telegram'))].sort(),
    [0, 1],
    'exactly one member sent to Telegram; the other found the notification in the gossiped log',
  );
  for (const m of members) {
    const alerts = (await (await fetch(`${m.url}/api/v2/alerts`)).json()) as Array<{ labels: Record<string, string> }>;
    assert.ok(alerts.some((a) => a.labels.alertname === 'HaDedupCheck'), 'each member holds the alert');
  }
});

test('Prometheus with both members as its Alertmanagers: each gets its alerts, one notification goes out', async () => {
  const targets = members.map((m, i) => ({ job: 'alertmanager', address: `127.0.0.1:${m.port}`, instance: `alertmanager-${i + 1}`, metricsPath: '/metrics' }));
  const configFile = writePrometheusRuntime(join(dir.path, 'prometheus'), targets, { intervals: { scrape: '1s', evaluation: '1s' } });
  // The always-firing Watchdog goes out at the first evaluation; a send before Alertmanager is
  // discovered is retried after the resend delay (1m by default).
  prometheus = await startTestPrometheus({ name: 'prometheus', configFile, dataDir: join(dir.path, 'prometheus', 'data'), logFile: join(dir.path, 'prometheus.log'), extraArgs: ['--rules.alert.resend-delay=1s'] });
  const deadline = Date.now() + WAIT_MS;
  while (heartbeats === 0 && Date.now() < deadline) await sleep(200);
  assert.equal(heartbeats, 1, 'the dead-man\'s switch got the Watchdog');
  await sleep(DEDUP_WINDOW_MS);
  assert.equal(heartbeats, 1, 'once, although both members hold it');
  for (const m of members) {
    const alerts = (await (await fetch(`${m.url}/api/v2/alerts`)).json()) as Array<{ labels: Record<string, string> }>;
    assert.ok(alerts.some((a) => a.labels.alertname === 'Watchdog'), `Prometheus delivered Watchdog to ${m.url}`);
  }
  assert.deepEqual([...(await sends(members, 'webhook'))].sort(), [0, 1]);
});

test('with one member killed, a new alert is still delivered, once', async () => {
  const [killed, survivor] = members as [RunningAlertmanager, RunningAlertmanager];
  process.kill(killed.process.pid, 'SIGKILL');
  await killed.process.exited;
  members = [survivor];

  assert.equal(await postToAll('HaAfterFailover'), 1, 'the survivor accepted the alert');
  const [message] = await telegram.waitForMessages(1, WAIT_MS, (m) => m.text.includes('HaAfterFailover'));
  assert.match(message?.text ?? '', /HaAfterFailover/);
  assert.equal(messagesFor('HaDedupCheck').length, 1, 'the earlier group was not notified again');
  assert.deepEqual(telegram.requests.filter((r) => r.status !== 200), [], 'Telegram rejected nothing');
});
