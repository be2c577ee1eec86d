import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { installErrorHandler } from '../../src/errors.ts';
import { instrumentHttp, routeTemplate } from '../../src/metrics/http.ts';
import { createMetrics } from '../../src/metrics/registry.ts';
import { sampleValue } from '../support/api.ts';

function instrumentedApp() {
  const metrics = createMetrics({ version: 't', environment: 'test', llm: { provider: 'simulator', model: 'simulator-v1' }, llmTokenBudgetPerHour: 1, diskPaths: ['/'] });
  const app = Fastify();
  installErrorHandler(app);
  instrumentHttp(app, metrics.http);
  app.get('/items/:id', async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw new Error('secret internal detail');
  });
  app.get('/metrics', async () => 'not counted');
  return { app, metrics, text: () => metrics.registry.getSingleMetricAsString('samokoder_http_requests_total') };
}

test('requests are counted by route template, method and status; /metrics is not counted', async () => {
  const { app, metrics, text } = instrumentedApp();
  for (const id of ['1', '2', 'abc']) await app.inject(`/items/${id}`);
  await app.inject('/metrics');
  const counts = await text();
  assert.equal(sampleValue(counts, 'samokoder_http_requests_total', { method: 'GET', endpoint: '/items/:id', status: '200' }), 3);
  assert.ok(!counts.includes('/items/1'));
  assert.ok(!counts.includes('endpoint="/metrics"'));
  const duration = await metrics.registry.getSingleMetricAsString('samokoder_http_request_duration_seconds');
  assert.equal(sampleValue(duration, 'samokoder_http_request_duration_seconds_count', { method: 'GET', endpoint: '/items/:id' }), 3);
  const inProgress = await metrics.registry.getSingleMetricAsString('samokoder_http_requests_in_progress');
  assert.equal(sampleValue(inProgress, 'samokoder_http_requests_in_progress', { endpoint: '/items/:id' }), 0);
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

test('the route template read by the hooks agrees with request.routeOptions.url, matched or not', async () => {
  const app = Fastify();
  const seen: Array<[string | undefined, string | undefined]> = [];
  app.addHook('onRequest', (request, _reply, done) => {
    seen.push([routeTemplate(request), request.routeOptions.url]);
    done();
  });
  app.get('/items/:id', async () => ({ ok: true }));
  app.register(async (child) => child.post('/child/:x', async () => ({ ok: true })), { prefix: '/p' });
  await app.inject('/items/7');
  await app.inject({ method: 'POST', url: '/p/child/1' });
  await app.inject('/nowhere');
  assert.deepEqual(seen, [
    ['/items/:id', '/items/:id'],
    ['/p/child/:x', '/p/child/:x'],
    [undefined, undefined],
  ]);
});
