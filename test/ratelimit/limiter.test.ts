import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { sampleValue, startTestApi, type TestApi } from '../support/api.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ RATE_LIMIT_LOGIN_PER_MINUTE: '3', RATE_LIMIT_USER_PER_MINUTE: '4', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000' });
});
after(() => api.close());
// Each test starts with fresh windows.
beforeEach(() => api.deps.redis.flushall().then(() => undefined));

const hits = async (labels: Record<string, string>) =>
  sampleValue(await api.metric('samokoder_rate_limit_hits_total'), 'samokoder_rate_limit_hits_total', labels) ?? 0;

test('login is limited per IP: 429 with Retry-After and X-RateLimit-* headers, counted as limit_type="login"', async () => {
  const body = { email: 'nobody@example.com', password: 'whatever password' };
  const statuses: number[] = [];
  let last;
  for (let i = 0; i < 4; i++) {
    last = await api.request('POST', '/api/v1/auth/login', { body });
    statuses.push(last.status);
  }
  assert.deepEqual(statuses, [401, 401, 401, 429]);
  assert.equal(last!.body.error.code, 'rate_limited');
  assert.equal(last!.headers.get('x-ratelimit-limit'), '3');
  assert.equal(last!.headers.get('x-ratelimit-remaining'), '0');
  assert.ok(Number(last!.headers.get('retry-after')) >= 1 && Number(last!.headers.get('retry-after')) <= 60);
  assert.equal(await hits({ endpoint: '/api/v1/auth/login', limit_type: 'login' }), 1);
});

test('authenticated routes are limited per user, not per IP', async () => {
  const alice = await api.user();
  const bob = await api.user();
  const aliceStatuses = [];
  for (let i = 0; i < 5; i++) aliceStatuses.push((await api.request('GET', '/api/v1/projects', { token: alice.token })).status);
  assert.deepEqual(aliceStatuses, [200, 200, 200, 200, 429]);
  assert.equal((await api.request('GET', '/api/v1/projects', { token: bob.token })).status, 200);
  assert.equal(await hits({ endpoint: '/api/v1/projects', limit_type: 'user' }), 1);
});

test('with Redis down the limiter fails open, counts degraded requests, and /health names redis', async () => {
  const { token } = await api.user();
  await api.redis.process.stop();
  const degradedBefore = sampleValue(await api.metric('samokoder_rate_limit_degraded_total'), 'samokoder_rate_limit_degraded_total') ?? 0;
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await api.request('GET', '/api/v1/projects', { token })).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
  const degradedAfter = sampleValue(await api.metric('samokoder_rate_limit_degraded_total'), 'samokoder_rate_limit_degraded_total');
  assert.equal(degradedAfter, degradedBefore + 6);
  const health = await api.request('GET', '/health');
  // Users are still served, so the probe must not see a failure: 200, degraded, naming Redis.
  assert.equal(health.status, 200);
  assert.deepEqual(health.body, { status: 'degraded', checks: { db: 'ok', redis: 'unavailable' } });
});
