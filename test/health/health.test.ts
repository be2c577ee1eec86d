import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sampleValue, startTestApi, type TestApi } from '../support/api.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ DB_TIMEOUT_MS: '1000', METRICS_TOKEN: 'metrics-token-for-tests' });
});
after(() => api.close());

const metricsAuth = { authorization: 'Bearer metrics-token-for-tests' };

test('/health is 200 with both checks ok', async () => {
  const res = await api.request('GET', '/health');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { status: 'ok', checks: { db: 'ok', redis: 'ok' } });
});

test('/metrics with METRICS_TOKEN set: 401 without or with a wrong token, 200 with the right one', async () => {
  assert.equal((await api.request('GET', '/metrics')).status, 401);
  assert.equal((await api.request('GET', '/metrics', { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const ok = await api.request('GET', '/metrics', { headers: metricsAuth });
  assert.equal(ok.status, 200);
  assert.match(ok.body, /samokoder_http_requests_total/);
});

test('Redis down: /health is 200 degraded (users are served, the limiter fails open) and names redis', async () => {
  await api.redis.process.stop();
  try {
    const health = await api.request('GET', '/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'degraded', checks: { db: 'ok', redis: 'unavailable' } });
  } finally {
    await api.redis.restart();
  }
});

test('PostgreSQL down: DB routes answer 503 quickly, /health names db, /metrics keeps answering, db errors rise', async () => {
  const { token } = await api.user();
  await api.postgres.process.stop();
  const errorsBefore = sampleValue(await api.metric('samokoder_db_errors_total'), 'samokoder_db_errors_total', { error_type: 'connection' }) ?? 0;
  const res = await api.request('GET', '/api/v1/projects', { token });
  assert.equal(res.status, 503);
  assert.equal(res.body.error.code, 'database_unavailable');
  assert.ok(!JSON.stringify(res.body).includes('ECONNREFUSED'));
  const health = await api.request('GET', '/health');
  assert.equal(health.status, 503);
  assert.equal(health.body.checks.db, 'unavailable');
  assert.equal(health.body.checks.redis, 'ok');
  const metrics = await api.request('GET', '/metrics', { headers: metricsAuth });
  assert.equal(metrics.status, 200);
  const errorsAfter = sampleValue(metrics.body, 'samokoder_db_errors_total', { error_type: 'connection' }) ?? 0;
  assert.ok(errorsAfter > errorsBefore, `db errors ${errorsBefore} -> ${errorsAfter}`);
  assert.match(metrics.body, /samokoder_http_requests_total\{method="GET",endpoint="\/api\/v1\/projects",status="503"\} 1/);
});
