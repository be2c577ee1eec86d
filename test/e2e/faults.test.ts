/**
 * Faults the operator guide's alerts are about, on the real stack: PostgreSQL and Redis stopped under
 * traffic (users get 503s: the blackbox probe of /health raises APIDown, cause probe, while the
 * API is still scraped), and an LLM provider that fails every call. The API degrades as documented in
 * docs/reliability.md (503 for database routes, rate limiter fail-open, projects `failed` with a
 * reason), recovers by itself, and the alerts become active in Prometheus. HighLLMErrorRate's
 * 10 minutes `for` is proved by promtool; here it must at least go pending on live data.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runTraffic, type TrafficSummary } from '../../src/cli/traffic.ts';
import { waitForAlerts as waitForPrometheusAlerts, waitForQuery, type AlertState } from '../support/prometheus.ts';
import { severityTimings, startTestStack, type TestStack } from '../support/stack.ts';

const ADMIN_TOKEN = 'admin-token-for-fault-tests';
let stack: TestStack;

before(async () => {
  stack = await startTestStack({ ADMIN_TOKEN, RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000', RATE_LIMIT_LOGIN_PER_MINUTE: '100000', DB_TIMEOUT_MS: '1000' });
  await runTraffic({ api: stack.urls.api, requests: 100, seconds: 30, concurrency: 2 });
});
after(() => stack?.close());

const waitForAlerts = (names: string[], state: AlertState, timeoutMs: number) => waitForPrometheusAlerts(stack.urls.prometheus, names, state, timeoutMs);

function assertNo5xxBut503(summary: TrafficSummary): void {
  for (const status of Object.keys(summary.byStatus)) {
    assert.ok(status === '503' || Number(status) < 500, `unexpected ${status} in ${JSON.stringify(summary.byStatus)}`);
  }
}

test('PostgreSQL and Redis stopped under traffic: 503s, no crash, PostgresDown, RedisDown, APIDown from the probe and DatabaseErrors fire, the API recovers', async () => {
  await stack.service('postgres').stop();
  await stack.service('redis').stop();
  const during = await runTraffic({ api: stack.urls.api, requests: 20_000, seconds: 30, concurrency: 2 });
  assertNo5xxBut503(during);
  assert.ok((during.byStatus['503'] ?? 0) > 0, JSON.stringify(during.byStatus));
  const health = await fetch(`${stack.urls.api}/health`);
  assert.deepEqual(await health.json(), { status: 'unavailable', checks: { db: 'unavailable', redis: 'unavailable' } });
  assert.equal((await fetch(stack.urls.metrics)).status, 200);

  await waitForAlerts(['PostgresDown', 'RedisDown'], 'firing', 120_000);
  // Users get no answer (/health 503) although Prometheus still scrapes the API: the probe says so.
  const [down] = await waitForQuery(stack.urls.prometheus, 'ALERTS{alertname="APIDown", alertstate="firing"}', (s) => s.length > 0, 60_000);
  assert.deepEqual([down?.metric.cause, down?.metric.scope, down?.metric.job], ['probe', 'job', 'samokoder-api']);
  const printed = Date.now() + severityTimings(stack, 'critical').groupWait + 30_000;
  while (!stack.printed.some((l) => l.includes('APIDown'))) {
    assert.ok(Date.now() < printed, `APIDown not delivered; printed: ${stack.printed.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  await stack.service('postgres').restart();
  await stack.service('redis').restart();

  const deadline = Date.now() + 30_000;
  while ((await fetch(`${stack.urls.api}/health`)).status !== 200) {
    assert.ok(Date.now() < deadline, 'the API did not recover within 30 s of the database coming back');
    await new Promise((r) => setTimeout(r, 500));
  }
  const afterward = await runTraffic({ api: stack.urls.api, requests: 50, seconds: 30, concurrency: 2 });
  assert.equal(afterward.byStatus['503'], undefined, JSON.stringify(afterward.byStatus));
  // The 5-minute error rate stays above the threshold after the outage; `for: 2m` then fires it.
  await waitForAlerts(['DatabaseErrors'], 'firing', 240_000);
});

test('an LLM provider failing every call: projects end failed with a reason and HighLLMErrorRate goes active', async () => {
  const knobs = await fetch(`${stack.urls.api}/api/v1/admin/simulator`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ errorRate: 1, latencyMs: 10 }),
  });
  assert.equal(knobs.status, 200);
  const summary = await runTraffic({ api: stack.urls.api, requests: 200, seconds: 60, concurrency: 2 });
  assert.ok(summary.projectsCreated > 0);
  assertNo5xxBut503(summary);
  await waitForAlerts(['HighLLMErrorRate'], 'any', 90_000);
});
