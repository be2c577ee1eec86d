/**
 * The dashboard viewer's HTTP side against a real Prometheus: Grafana's URLs and the API subset
 * the page and `doctor` use, the files it serves (its own modules, uPlot from node_modules, and
 * nothing else), and the read-only proxy — query and query_range forwarded, every other
 * Prometheus path and method refused with a 4xx, ranges and steps bounded, unknown parameters
 * refused. The home dashboard is the one compose's Grafana has as its home.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DASHBOARDS_DIR } from '../../src/monitoring/paths.ts';
import { MAX_POINTS } from '../../src/dashboard-viewer/proxy.ts';
import { HOME_DASHBOARD_UID, startViewer, type Viewer } from '../../src/dashboard-viewer/viewer.ts';
import { freePort } from '../../src/stack/ports.ts';
import { resolvedServices } from '../deploy/support.ts';
import { startSelfScrapingPrometheus, type RunningServer } from '../support/prometheus.ts';
import { tempDir } from '../support/services.ts';

const dir = tempDir('viewer');
let prometheus: RunningServer;
let viewer: Viewer;
const PROXY = '/api/datasources/proxy/uid/prometheus';

before(async () => {
  prometheus = await startSelfScrapingPrometheus(dir.path);
  viewer = await startViewer(0, prometheus.url);
});

after(async () => {
  await viewer?.close();
  await prometheus?.process.stop();
  dir.remove();
});

const get = (path: string, init?: RequestInit) => fetch(viewer.url + path, { redirect: 'manual', ...init });
const form = (params: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });

test('it listens on 127.0.0.1 only', () => {
  assert.equal((viewer.server.address() as AddressInfo).address, '127.0.0.1');
});

test("Grafana's URLs: / is the home dashboard, /dashboards the list, /d/<uid>/<slug> a dashboard page", async () => {
  const home = await get('/');
  assert.equal(home.status, 302);
  assert.equal(home.headers.get('location'), `/d/${HOME_DASHBOARD_UID}/samokoder-overview`);
  for (const path of ['/dashboards', `/d/${HOME_DASHBOARD_UID}`, `/d/${HOME_DASHBOARD_UID}/samokoder-overview`]) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await res.text(), /<script type="module" src="\/public\/app\.js">/);
  }
  const search = (await (await get('/api/search')).json()) as Array<{ uid: string; url: string }>;
  assert.deepEqual(search.map((d) => d.url), [`/d/${HOME_DASHBOARD_UID}/samokoder-overview`]);
  const { dashboard } = (await (await get(`/api/dashboards/uid/${HOME_DASHBOARD_UID}`)).json()) as { dashboard: unknown };
  assert.deepEqual(dashboard, JSON.parse(readFileSync(join(DASHBOARDS_DIR, 'samokoder-overview.json'), 'utf8')), 'the very file Grafana provisions');
  assert.equal((await get('/api/dashboards/uid/nope')).status, 404);
});

test("the home dashboard is compose's Grafana home dashboard", () => {
  const path = resolvedServices().grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string;
  const file = join(DASHBOARDS_DIR, path.split('/').pop() as string);
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { uid: string }).uid, HOME_DASHBOARD_UID);
});

test('static files: the page modules and uPlot from node_modules; nothing else of the repository', async () => {
  const uplot = await get('/public/vendor/uPlot.esm.js');
  assert.equal(uplot.status, 200);
  assert.match(uplot.headers.get('content-type') ?? '', /text\/javascript/);
  assert.equal(await uplot.text(), readFileSync(join('node_modules', 'uplot', 'dist', 'uPlot.esm.js'), 'utf8'));
  assert.equal((await get('/public/dashboard.js')).status, 200);
  for (const path of ['/public/../viewer.ts', '/public/%2e%2e/viewer.ts', '/public/..%2fviewer.ts', '/public/vendor/../../proxy.ts', '/viewer.ts', '/package.json', '/public/nope.js']) {
    assert.equal((await get(path)).status, 404, path);
  }
  assert.equal((await get('/dashboards', { method: 'POST' })).status, 405);
});

test('health and datasources as Grafana answers them; a datasource health check runs a query', async () => {
  assert.deepEqual(Object.keys((await (await get('/api/health')).json()) as object).sort(), ['dashboards', 'version']);
  const sources = (await (await get('/api/datasources')).json()) as Array<{ uid: string; type: string; jsonData: { timeInterval?: string } }>;
  assert.deepEqual(sources.map((s) => [s.uid, s.type, s.jsonData.timeInterval]), [['prometheus', 'prometheus', '15s']]);
  assert.ok(!JSON.stringify(sources).includes('http://prometheus:9090'), "compose's URL is not the viewer's business");
  assert.deepEqual(await (await get('/api/datasources/uid/prometheus/health')).json(), { status: 'OK', message: 'Successfully queried the Prometheus API.' });
  const dead = await startViewer(0, `http://127.0.0.1:${await freePort()}`);
  try {
    const res = await fetch(`${dead.url}/api/datasources/uid/prometheus/health`);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { message: string }).message, /Prometheus answered 502: .*unreachable: ECONNREFUSED/);
  } finally {
    await dead.close();
  }
});

test('the proxy forwards instant and range queries, GET or POST, with Prometheus answer', async () => {
  // Not rounded down to the second: that can fall before Prometheus' first sample.
  const now = Date.now() / 1000;
  const instant = await get(`${PROXY}/api/v1/query?${new URLSearchParams({ query: 'up', time: String(now) })}`);
  assert.equal(instant.status, 200);
  const body = (await instant.json()) as { status: string; data: { result: Array<{ metric: { job: string } }> } };
  assert.equal(body.data.result[0]?.metric.job, 'prometheus');
  const range = await get(`${PROXY}/api/v1/query_range`, form({ query: 'up', start: String(now - 60), end: String(now), step: '15s' }));
  assert.equal(range.status, 200);
  assert.equal(((await range.json()) as { data: { resultType: string } }).data.resultType, 'matrix');
  // Prometheus' own errors come back as they are.
  const bad = await get(`${PROXY}/api/v1/query`, form({ query: 'sum(' }));
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /parse error/);
});

test('the proxy refuses every other Prometheus path and method with a 4xx', async () => {
  const paths = ['api/v1/labels', 'api/v1/series?match[]=up', 'api/v1/label/job/values', 'api/v1/targets', 'api/v1/rules', 'api/v1/status/config', 'api/v1/admin/tsdb/snapshot', 'api/v1/admin/tsdb/delete_series?match[]=up', 'federate?match[]=up', '-/reload', '-/quit', 'metrics', 'graph', 'api/v1/query/../labels', 'api/v1/query_exemplars?query=up', 'api/v2/query?query=up'];
  for (const path of paths) {
    for (const method of ['GET', 'POST']) {
      const res = await get(`${PROXY}/${path}`, { method });
      assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status}`);
    }
  }
  // The refused paths are real and answer when asked directly: the refusal is the proxy's.
  assert.equal((await fetch(`${prometheus.url}/api/v1/labels`)).status, 200);
  for (const method of ['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']) {
    const res = await get(`${PROXY}/api/v1/query?query=up`, { method });
    assert.equal(res.status, 405, method);
  }
  assert.equal((await get('/api/datasources/proxy/uid/loki/api/v1/query?query=up')).status, 404);
  assert.equal((await get(`${PROXY}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"up"}' })).status, 415);
});

test('the proxy bounds ranges and steps and forwards only the parameters of the two endpoints', async () => {
  const now = Math.floor(Date.now() / 1000);
  const refused: Array<[Record<string, string>, RegExp]> = [
    [{ query: 'up', start: String(now - 7 * 86_400), end: String(now), step: '1' }, new RegExp(`more than ${MAX_POINTS} points`)],
    [{ query: 'up', start: String(now - 40 * 86_400), end: String(now), step: '3600' }, /longer than 32 days/],
    [{ query: 'up', start: String(now), end: String(now - 60), step: '15' }, /end is before start/],
    [{ query: 'up', start: String(now - 60), end: String(now), step: '0' }, /step must be positive/],
    [{ query: 'up', start: 'yesterday', end: String(now), step: '15' }, /start must be a Unix timestamp/],
    [{ query: 'up', start: String(now - 60), end: String(now) }, /step is required/],
    [{ query: 'up', start: String(now - 60), end: String(now), step: '15', limit: '1' }, /parameter "limit" is not forwarded/],
    [{ query: '' }, /query is required/],
    [{ query: 'x'.repeat(20_000), start: String(now - 60), end: String(now), step: '15' }, /longer than/],
  ];
  for (const [params, message] of refused) {
    const res = await get(`${PROXY}/api/v1/query_range`, form(params));
    assert.equal(res.status, 400, JSON.stringify(params).slice(0, 100));
    assert.match(((await res.json()) as { error: string }).error, message);
  }
  const twice = await get(`${PROXY}/api/v1/query?query=up&query=down`);
  assert.equal(twice.status, 400);
  const big = await get(`${PROXY}/api/v1/query`, form({ query: `up${' '.repeat(70_000)}` }));
  assert.equal(big.status, 413);
  // A long evaluation timeout is cut to the proxy's bound rather than refused.
  assert.equal((await get(`${PROXY}/api/v1/query`, form({ query: 'up', timeout: '10m' }))).status, 200);
});
