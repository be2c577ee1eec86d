import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import Fastify from 'fastify';
import { installErrorHandler } from '../../src/errors.ts';
import { FAILURE_STATUSES } from '../../src/metrics/catalogue.ts';
import { instrumentHttp } from '../../src/metrics/http.ts';
import { createMetrics } from '../../src/metrics/registry.ts';
import { sampleValue } from '../support/api.ts';

function instrumentedApp(options: { connectionTimeout?: number } = {}) {
  const metrics = createMetrics({ version: 't', environment: 'test', llm: { provider: 'simulator', model: 'simulator-v1' }, llmTokenBudgetPerHour: 1, diskPaths: ['/'] });
  const app = Fastify({ ...options, forceCloseConnections: true, ...(options.connectionTimeout ? { http: { connectionsCheckingInterval: 100 } } : {}) });
  installErrorHandler(app);
  instrumentHttp(app, metrics.http);
  app.get('/items/:id', async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw new Error('secret internal detail');
  });
  app.get('/metrics', { config: { traffic: 'internal' } }, async () => 'a scrape');
  app.get('/health', { config: { traffic: 'internal' } }, async (_request, reply) => reply.code(503).send({ status: 'unavailable' }));
  const text = (name = 'samokoder_http_requests_total') => metrics.registry.getSingleMetricAsString(name);
  return { app, metrics, text };
}

/** Resolves once the server has recorded the abandoned request of `endpoint` (bounded: 5 s). */
async function abandonedRecorded(text: (name?: string) => Promise<string>, endpoint: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (sampleValue(await text(), 'samokoder_http_requests_total', { endpoint, status: '499' }) !== 1) {
    assert.ok(Date.now() < deadline, `no 499 recorded for ${endpoint}:\n${await text()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Listens on a free loopback port; returns the port. */
async function listen(app: ReturnType<typeof Fastify>): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as { port: number }).port;
}

test('requests are counted by route template, method and status', async () => {
  const { app, text } = instrumentedApp();
  for (const id of ['1', '2', 'abc']) await app.inject(`/items/${id}`);
  const counts = await text();
  assert.equal(sampleValue(counts, 'samokoder_http_requests_total', { method: 'GET', endpoint: '/items/:id', status: '200' }), 3);
  assert.ok(!counts.includes('/items/1'));
  const duration = await text('samokoder_http_request_duration_seconds');
  assert.equal(sampleValue(duration, 'samokoder_http_request_duration_seconds_count', { method: 'GET', endpoint: '/items/:id' }), 3);
  assert.equal(sampleValue(await text('samokoder_http_requests_in_progress'), 'samokoder_http_requests_in_progress', { endpoint: '/items/:id' }), 0);
});

test('probe and scrape routes go to the internal counter only: a failing /health is no user 5xx', async () => {
  const { app, text } = instrumentedApp();
  for (let i = 0; i < 4; i++) assert.equal((await app.inject('/health')).statusCode, 503);
  await app.inject('/metrics');
  const internal = await text('samokoder_http_internal_requests_total');
  assert.equal(sampleValue(internal, 'samokoder_http_internal_requests_total', { method: 'GET', endpoint: '/health', status: '503' }), 4);
  assert.equal(sampleValue(internal, 'samokoder_http_internal_requests_total', { method: 'GET', endpoint: '/metrics', status: '200' }), 1);
  for (const name of ['samokoder_http_requests_total', 'samokoder_http_request_duration_seconds', 'samokoder_http_requests_in_progress']) {
    const user = await text(name);
    assert.ok(!user.includes('endpoint="/health"') && !user.includes('endpoint="/metrics"'), `${name} holds probe traffic:\n${user}`);
  }
});

test('every user route starts with its failure series at 0; probes and HEAD twins do not', async () => {
  const { app, text } = instrumentedApp();
  await app.ready();
  const counts = await text();
  for (const endpoint of ['/items/:id', '/boom']) {
    for (const status of FAILURE_STATUSES) {
      assert.equal(sampleValue(counts, 'samokoder_http_requests_total', { method: 'GET', endpoint, status: String(status) }), 0, `${endpoint} ${status}`);
    }
  }
  assert.ok(!counts.includes('method="HEAD"'), counts);
  assert.ok(!counts.includes('/health') && !counts.includes('/metrics'), counts);
  const duration = await text('samokoder_http_request_duration_seconds');
  assert.equal(sampleValue(duration, 'samokoder_http_request_duration_seconds_count', { method: 'GET', endpoint: '/items/:id' }), 0);
});

test('a request whose client gives up is status 499, timed until the connection closed', async () => {
  const { app, text } = instrumentedApp();
  app.get('/stuck', () => new Promise(() => {}));
  const port = await listen(app);
  try {
    // The client's clock starts before the connection is made, the server's once the request is
    // parsed: on a loaded machine that can be hundreds of ms, hence the slack below 1.5 s.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/stuck`, { signal: AbortSignal.timeout(1500) }));
    await abandonedRecorded(text, '/stuck');
    const duration = await text('samokoder_http_request_duration_seconds');
    const seconds = sampleValue(duration, 'samokoder_http_request_duration_seconds_sum', { endpoint: '/stuck' }) as number;
    assert.ok(seconds >= 1 && seconds < 5, `recorded ${seconds} s for a request abandoned after 1.5 s`);
    assert.equal(sampleValue(duration, 'samokoder_http_request_duration_seconds_bucket', { endpoint: '/stuck', le: '1' }), 0);
    assert.equal(sampleValue(await text('samokoder_http_requests_in_progress'), 'samokoder_http_requests_in_progress', { endpoint: '/stuck' }), 0);
  } finally {
    await app.close();
  }
});

test('a hung request with a patient client ends at the idle-connection timeout as a timed 499', async () => {
  const { app, text } = instrumentedApp({ connectionTimeout: 800 });
  app.get('/stuck', () => new Promise(() => {}));
  const port = await listen(app);
  try {
    // No client timeout: only the server can end this request.
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/stuck' }, (res) => resolve(`answered ${res.statusCode}`));
      req.on('error', (err) => resolve(`closed: ${(err as NodeJS.ErrnoException).code}`));
      req.end();
    });
    assert.match(outcome, /^closed/);
    await abandonedRecorded(text, '/stuck');
    const seconds = sampleValue(await text('samokoder_http_request_duration_seconds'), 'samokoder_http_request_duration_seconds_sum', { endpoint: '/stuck' }) as number;
    assert.ok(seconds >= 0.75, `recorded ${seconds} s for a request cut after 0.8 s`);
  } finally {
    await app.close();
  }
});

test('a handler that throws is counted as a 500 and its details stay hidden', async () => {
  const { app, text } = instrumentedApp();
  const res = await app.inject('/boom');
  assert.equal(res.statusCode, 500);
  assert.deepEqual(res.json(), { error: { code: 'internal_error', message: 'Internal server error' } });
  assert.equal(sampleValue(await text(), 'samokoder_http_requests_total', { method: 'GET', endpoint: '/boom', status: '500' }), 1);
});

test('unmatched paths share one endpoint value and unknown methods fold into OTHER', async () => {
  const { app, text } = instrumentedApp();
  await app.inject('/wp-admin/setup.php');
  await app.inject('/.env');
  await app.inject({ method: 'PROPFIND', url: '/items/1' });
  const counts = await text();
  assert.equal(sampleValue(counts, 'samokoder_http_requests_total', { method: 'GET', endpoint: 'unmatched', status: '404' }), 2);
  assert.equal(sampleValue(counts, 'samokoder_http_requests_total', { method: 'OTHER', endpoint: 'unmatched', status: '404' }), 1);
  assert.ok(!counts.includes('wp-admin') && !counts.includes('.env') && !counts.includes('PROPFIND'));
});

test('in-progress gauge counts a request while it is served', async () => {
  const { app, metrics } = instrumentedApp();
  let release!: () => void;
  app.get('/slow', () => new Promise((resolve) => (release = () => resolve({ ok: true }))));
  const pending = app.inject('/slow');
  await new Promise((r) => setTimeout(r, 50));
  const during = await metrics.registry.getSingleMetricAsString('samokoder_http_requests_in_progress');
  assert.equal(sampleValue(during, 'samokoder_http_requests_in_progress', { endpoint: '/slow' }), 1);
  release();
  await pending;
  const afterward = await metrics.registry.getSingleMetricAsString('samokoder_http_requests_in_progress');
  assert.equal(sampleValue(afterward, 'samokoder_http_requests_in_progress', { endpoint: '/slow' }), 0);
});

test('routes of prefixed plugins are counted under their full template, internal ones included', async () => {
  const { app, text } = instrumentedApp();
  app.register(
    async (child) => {
      child.post('/child/:x', async () => ({ ok: true }));
      child.get('/probe', { config: { traffic: 'internal' } }, async () => ({ ok: true }));
    },
    { prefix: '/p' },
  );
  await app.inject({ method: 'POST', url: '/p/child/1' });
  await app.inject('/p/probe');
  assert.equal(sampleValue(await text(), 'samokoder_http_requests_total', { method: 'POST', endpoint: '/p/child/:x', status: '200' }), 1);
  assert.equal(sampleValue(await text('samokoder_http_internal_requests_total'), 'samokoder_http_internal_requests_total', { endpoint: '/p/probe', status: '200' }), 1);
  assert.ok(!(await text()).includes('/p/probe'));
});
