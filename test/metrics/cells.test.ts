import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { catalogue } from '../../src/metrics/catalogue.ts';
import { CellCounter, CellGauge, CellHistogram } from '../../src/metrics/cells.ts';
import { renderMetrics } from '../../src/metrics/exposition.ts';
import { createHttpRecorder } from '../../src/metrics/http.ts';
import { createMetrics } from '../../src/metrics/registry.ts';

const { httpRequestDuration: duration } = catalogue;
/** Label values that need escaping, and values below, between, on and above the buckets. */
const LABELS = [
  { method: 'GET', endpoint: '/api/v1/projects/:id' },
  { method: 'POST', endpoint: 'quote " backslash \\ newline \n end' },
  { method: 'OTHER', endpoint: 'unmatched' },
];
const VALUES = [0, 0.004, 0.005, 0.0051, 0.3, 1, 29.9, 30, 31, 1e6, 0.1 + 0.2];

/** The same updates on prom-client's metrics and on cell metrics, in two registries. */
function twins() {
  const prom = new Registry();
  const cells = new Registry();
  const pc = new Counter({ name: 't_requests_total', help: 'Requests "quoted" \\ and\nmultiline help.', labelNames: ['method', 'endpoint', 'status'], registers: [prom] });
  const pg = new Gauge({ name: 't_in_progress', help: 'In progress.', labelNames: ['method', 'endpoint'], registers: [prom] });
  const ph = new Histogram({ name: 't_duration_seconds', help: 'Duration.', labelNames: ['method', 'endpoint'], buckets: [...duration.buckets], registers: [prom] });
  const cc = new CellCounter('t_requests_total', 'Requests "quoted" \\ and\nmultiline help.', ['method', 'endpoint', 'status'], cells);
  const cg = new CellGauge('t_in_progress', 'In progress.', ['method', 'endpoint'], cells);
  const ch = new CellHistogram('t_duration_seconds', 'Duration.', ['method', 'endpoint'], duration.buckets, cells);
  new Gauge({ name: 't_empty', help: 'No series yet.', labelNames: ['x'], registers: [prom] });
  new CellGauge('t_empty', 'No series yet.', ['x'], cells);
  LABELS.forEach((labels, n) => {
    for (const [i, v] of VALUES.entries()) {
      pc.inc({ ...labels, status: String(200 + i) });
      cc.cell({ ...labels, status: String(200 + i) }).value += 1;
      ph.observe(labels, v * (n + 1));
      ch.cell(labels).observe(v * (n + 1));
    }
    pg.inc(labels, 3);
    pg.dec(labels);
    cg.cell(labels).value += 3;
    cg.cell(labels).value -= 1;
  });
  return { prom, cells };
}

test('cell metrics print exactly what prom-client prints for the same updates, escaping included', async () => {
  const { prom, cells } = twins();
  const expected = await prom.metrics();
  assert.ok(expected.includes('le="+Inf"') && expected.includes('\\"'), 'the fixture exercises +Inf and escaping');
  assert.equal(await cells.metrics(), expected);
  assert.equal(await renderMetrics(cells), expected);
  assert.deepEqual(await cells.getMetricsAsJSON(), await prom.getMetricsAsJSON());
});

test('the API registry renders identically through renderMetrics and registry.metrics()', async () => {
  const metrics = createMetrics({ version: 't', environment: 'test', llm: { provider: 'simulator', model: 'simulator-v1' }, llmTokenBudgetPerHour: 1, diskPaths: ['/'] });
  const recorder = createHttpRecorder(metrics.http);
  for (let i = 0; i < 50; i++) recorder.finish(recorder.start(i % 2 ? '/api/v1/projects' : 'unmatched', i % 3 ? 'GET' : 'PROPFIND'), i % 5 ? 200 : 404, i / 100);
  recorder.start('/api/v1/projects', 'POST'); // one still in progress
  metrics.recordAuthAttempt('success');
  // Scrape-time gauges (CPU, memory, event-loop lag) differ between two renders: compare the rest.
  const stable = (text: string) => text.split('\n').filter((l) => l.startsWith('samokoder_') && !l.startsWith('samokoder_system_')).join('\n');
  const ours = await renderMetrics(metrics.registry);
  assert.equal(stable(ours), stable(await metrics.registry.metrics()));
  assert.match(ours, /samokoder_http_requests_total\{method="OTHER",endpoint="unmatched",status="404"\} \d+/);
  assert.match(ours, /samokoder_http_requests_in_progress\{method="POST",endpoint="\/api\/v1\/projects"\} 1/);
  assert.match(ours, /^nodejs_version_info\{/m);
});

test('a large registry is rendered in slices: timers run while it renders, and the text is unchanged', async () => {
  const registry = new Registry();
  const h = new CellHistogram('big_seconds', 'Big.', ['id'], duration.buckets, registry);
  for (let i = 0; i < 10_000; i++) h.cell({ id: String(i) }).observe(i / 1000);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const text = await renderMetrics(registry, 1);
  clearInterval(timer);
  assert.ok(ticks > 0, 'the event loop got turns during the render');
  assert.equal(text, await registry.metrics());
  assert.equal(text.split('\n').filter((l) => l.startsWith('big_seconds_count')).length, 10_000);
});

test('a cell must be given exactly the label names of its metric', () => {
  const c = new CellCounter('t_total', 'T.', ['method', 'endpoint'], new Registry());
  assert.throws(() => c.cell({ method: 'GET' }), /labels must be exactly method, endpoint/);
  assert.throws(() => c.cell({ method: 'GET', endpoint: '/', status: '200' }), /labels must be exactly/);
  assert.equal(c.cell({ method: 'GET', endpoint: '/' }), c.cell({ endpoint: '/', method: 'GET' }), 'one cell per label set, whatever the key order');
});
