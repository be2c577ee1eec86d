import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runTraffic } from '../../src/cli/traffic.ts';
import { sampleValue, startTestApi, type TestApi } from '../support/api.ts';

const ADMIN_TOKEN = 'admin-token-for-traffic-tests';
let api: TestApi;
before(async () => {
  api = await startTestApi({ ADMIN_TOKEN, RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10000', RATE_LIMIT_LOGIN_PER_MINUTE: '10000' });
});
after(() => api.close());

test('traffic exercises registration, login, projects and error paths, within its request bound', async () => {
  const seen: Record<string, number> = {};
  const summary = await runTraffic({ api: api.url, requests: 150, seconds: 60, concurrency: 4, onResponse: (status, ms) => {
    assert.ok(ms >= 0);
    seen[String(status)] = (seen[String(status)] ?? 0) + 1;
  } });
  assert.equal(summary.requests, 150);
  assert.deepEqual(seen, summary.byStatus, 'onResponse saw every request with its status');
  for (const status of ['201', '200', '202', '401', '404']) assert.ok((summary.byStatus[status] ?? 0) > 0, `no ${status} in ${JSON.stringify(summary.byStatus)}`);
  assert.ok(summary.projectsCreated > 0);
  const created = await api.metric('samokoder_projects_created_total');
  assert.equal(sampleValue(created, 'samokoder_projects_created_total', { user_tier: 'free' }), summary.projectsCreated);
});

test('traffic stops at its time bound', async () => {
  const started = Date.now();
  const summary = await runTraffic({ api: api.url, requests: 100_000, seconds: 1, concurrency: 2 });
  assert.ok(summary.requests < 100_000);
  assert.ok(Date.now() - started < 15_000);
});

test('traffic turns the simulator knobs through the admin route; without the token it is refused', async () => {
  await runTraffic({ api: api.url, requests: 1, seconds: 5, concurrency: 1, adminToken: ADMIN_TOKEN, knobs: { errorRate: 0.5, latencyMs: 5 } });
  assert.deepEqual(api.deps.llm.simulator!.knobs(), { errorRate: 0.5, latencyMs: 5 });
  await assert.rejects(runTraffic({ api: api.url, requests: 1, seconds: 5, concurrency: 1, adminToken: 'wrong', knobs: { errorRate: 1 } }), /HTTP 401/);
  const bad = await api.request('PUT', '/api/v1/admin/simulator', { token: ADMIN_TOKEN, body: { errorRate: 2 } });
  assert.equal(bad.status, 400);
  assert.equal(api.deps.llm.simulator!.knobs().errorRate, 0.5);
});
