/**
 * What the user SLIs count when things really break, on the real stack:
 * - Redis down: users are served (the limiter fails open) and /health says `degraded` to every
 *   probe. RedisDown fires; the probes are counted apart, the user failure ratio stays 0 and
 *   nothing else pages.
 * - PostgreSQL frozen (SIGSTOP, so connections hang instead of failing): users give up after 7 s.
 *   Those requests are counted as failed and slow with the time they waited, so HighLatency,
 *   HighErrorRate and the availability and latency SLO burns go active, and the fast burn pages.
 *   The blackbox probe of /health fails meanwhile, so APIDown goes active with cause="probe"
 *   although /metrics still answers.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { activeAlerts, instantQuery, waitForAlerts, waitForQuery } from '../support/prometheus.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let token: string;

before(async () => {
  // Long database timeouts: a frozen PostgreSQL makes requests hang rather than fail at once.
  stack = await startTestStack({ RATE_LIMIT_USER_PER_MINUTE: '100000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000', DB_TIMEOUT_MS: '60000' });
  const credentials = { email: 'sli@example.com', password: 'a long enough password' };
  const post = (path: string) => fetch(`${stack.urls.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
  assert.equal((await post('/api/v1/auth/register')).status, 201);
  token = ((await (await post('/api/v1/auth/login')).json()) as { access_token: string }).access_token;
});
after(() => stack?.close());

/** GET /api/v1/projects as the test user; the status, or 'gave up' when the client timed out first. */
async function listProjects(giveUpMs = 10_000): Promise<number | 'gave up'> {
  try {
    const res = await fetch(`${stack.urls.api}/api/v1/projects`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(giveUpMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 'gave up';
  }
}

/** Runs `work` in `workers` loops until `ms` have passed; returns every result. */
async function during<T>(ms: number, workers: number, work: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  const deadline = Date.now() + ms;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (Date.now() < deadline) results.push(await work());
  }));
  return results;
}

const FAILED_RATIO = 'job:samokoder_http_requests_failed:ratio_rate5m';
/** Alerts that would page or warn about user-visible failures. */
const USER_FAILURE_ALERTS = ['APIDown', 'HighErrorRate', 'AvailabilitySLOFastBurn', 'AvailabilitySLOSlowBurn'];

test('Redis down: users are served, probes see degraded, RedisDown fires and no user-failure alert does', async () => {
  await stack.service('redis').stop();
  try {
    // Users keep being served while a probe hits /health every 500 ms, as a load balancer would
    // (the blackbox probe runs too, and must not call this APIDown).
    const [users, probes] = await Promise.all([
      // A user request a second: few enough that the next test's hung requests dominate the window.
      during(70_000, 1, async () => {
        const status = await listProjects();
        await new Promise((r) => setTimeout(r, 1_000));
        return status;
      }),
      during(70_000, 1, async () => {
        const res = await fetch(`${stack.urls.api}/health`);
        await new Promise((r) => setTimeout(r, 500));
        return `${res.status} ${((await res.json()) as { status: string }).status}`;
      }),
    ]);
    assert.ok(users.length > 30 && users.every((s) => s === 200), `users: ${JSON.stringify(users.slice(0, 20))}`);
    assert.ok(probes.length > 50 && probes.every((s) => s === '200 degraded'), `probes: ${JSON.stringify(probes.slice(0, 20))}`);

    await waitForAlerts(stack.urls.prometheus, ['RedisDown'], 'firing', 120_000);
    const [ratio] = await waitForQuery(stack.urls.prometheus, FAILED_RATIO, (s) => s.length === 1, 30_000);
    assert.equal(ratio?.value, 0, 'probe failures counted as user failures');
    const probesCounted = await instantQuery(stack.urls.prometheus, 'sum(increase(samokoder_http_internal_requests_total{endpoint="/health"}[5m]))');
    assert.ok((probesCounted[0]?.value ?? 0) > 50, `the probes' own counter: ${JSON.stringify(probesCounted)}`);
    const active = await activeAlerts(stack.urls.prometheus, 'any');
    for (const name of USER_FAILURE_ALERTS) assert.ok(!active.has(name), `${name} is active while Redis is down: ${[...active].join(', ')}`);
  } finally {
    await stack.service('redis').restart();
  }
});

test('PostgreSQL frozen: requests hang, users give up, APIDown (probe), the latency, failure and SLO alerts go active, the fast burn pages', async () => {
  const postgres = stack.service('postgres').process.pid;
  // The postmaster and every backend: existing connections hang too, not only new ones.
  const pids = [String(postgres), ...execFileSync('pgrep', ['-P', String(postgres)]).toString().trim().split('\n')];
  execFileSync('kill', ['-STOP', ...pids]);
  let outcomes: Array<number | 'gave up'>;
  try {
    const watchers = Promise.all([
      waitForQuery(stack.urls.prometheus, 'sum(samokoder_http_requests_in_progress{endpoint="/api/v1/projects"})', (s) => (s[0]?.value ?? 0) > 0, 30_000),
      // /health gives up on the database after 2 s and answers 503, while /metrics still answers:
      // APIDown goes active from the users' side (the blackbox probe), not from the scrape.
      waitForQuery(stack.urls.prometheus, 'ALERTS{alertname="APIDown", cause="probe"}', (s) => s.length > 0, 40_000),
    ]);
    watchers.catch(() => undefined); // awaited below; a failure while the users still wait is reported there
    outcomes = await during(40_000, 8, () => listProjects(7_000));
    await watchers;
  } finally {
    execFileSync('kill', ['-CONT', ...pids]);
  }
  assert.ok(outcomes.filter((o) => o === 'gave up').length >= 30, `outcomes: ${JSON.stringify(outcomes)}`);

  // Counted as the users saw them: failed, and slower than 5 s.
  const abandoned = await waitForQuery(stack.urls.prometheus, 'sum(increase(samokoder_http_requests_total{status="499"}[5m]))', (s) => (s[0]?.value ?? 0) >= 25, 30_000);
  assert.ok(abandoned.length === 1);
  await waitForAlerts(stack.urls.prometheus, ['HighLatency', 'HighErrorRate', 'AvailabilitySLOFastBurn'], 'any', 60_000);
  const [p95] = await instantQuery(stack.urls.prometheus, 'job:samokoder_http_request_duration_seconds:p95_rate5m');
  assert.ok((p95?.value ?? 0) > 5, `p95 ${p95?.value} s`);
  // The latency SLO burns too: fast or slow depending on the share of fast requests in the window
  // (the Redis test's traffic is in it), well above the 5% budget either way.
  const [slow] = await instantQuery(stack.urls.prometheus, 'job:samokoder_http_requests_slow:ratio_rate5m');
  assert.ok((slow?.value ?? 0) > 0.05 * 3, `slow share ${slow?.value}`);
  const active = await activeAlerts(stack.urls.prometheus, 'any');
  assert.ok(active.has('LatencySLOFastBurn') || active.has('LatencySLOSlowBurn'), `no latency SLO alert: ${[...active].join(', ')}`);
  // `for: 2m` of the fast burn: the page goes out while the 5-minute window still holds the hang.
  await waitForAlerts(stack.urls.prometheus, ['AvailabilitySLOFastBurn'], 'firing', 200_000);
});
