// Multi-region federation end to end: two regional Prometheus servers (the committed
// prometheus.yml and rules, REGION eu and us) each scrape a small `samokoder-api` metrics endpoint
// on loopback; a central Prometheus runs the committed federation/central.yml and its rules. Only
// targets and intervals (1s) are rewritten. Queries on the central return per-region series with
// the regional job/instance labels kept (honor_labels), the regional recording rules arrive, and
// the central's own rules evaluate, including a global alert for one region.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { catalogue } from '../../src/metrics/catalogue.ts';
import { PROMETHEUS_DIR } from '../../src/monitoring/paths.ts';
import { writePrometheusRuntime } from '../../src/monitoring/prometheus.ts';
import { tempDir } from '../support/services.ts';
import { instantQuery, startTestPrometheus, waitForQuery, type RunningServer } from '../support/prometheus.ts';

const FEDERATION_DIR = join(PROMETHEUS_DIR, 'federation');
const WAIT_MS = 30_000;
const REQUESTS = catalogue.httpRequestsTotal;

/** Requests per second each region's endpoint reports, by status: eu 10% 5xx, us none. */
const TRAFFIC = { eu: { '200': 90, '500': 10 }, us: { '200': 10 } } as const;
type Region = keyof typeof TRAFFIC;

/** A `samokoder-api` /metrics endpoint whose request counters grow at a fixed rate. */
async function startMetricsEndpoint(region: Region): Promise<{ server: Server; address: string }> {
  const started = Date.now();
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    // Whole tenths of a second, so the counters of one scrape keep their exact proportions.
    const tenths = Math.floor((Date.now() - started) / 100);
    const lines = Object.entries(TRAFFIC[region]).map(([status, perSecond]) => `${REQUESTS.name}{method="GET",endpoint="/api/v1/projects",status="${status}"} ${(perSecond * tenths) / 10}`);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# HELP ${REQUESTS.name} ${REQUESTS.help}\n# TYPE ${REQUESTS.name} counter\n${lines.join('\n')}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * The central's runtime directory: federation/central.yml with 1s intervals, its rules/ by
 * symlink, and targets/ listing the regional servers (no Alertmanager, no self-scrape).
 */
function writeCentralRuntime(dir: string, regionals: Array<{ instance: string; address: string }>): string {
  mkdirSync(join(dir, 'targets'), { recursive: true });
  const doc = parse(readFileSync(join(FEDERATION_DIR, 'central.yml'), 'utf8'));
  Object.assign(doc.global, { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
  const configFile = join(dir, 'central.yml');
  writeFileSync(configFile, stringify(doc));
  symlinkSync(join(FEDERATION_DIR, 'rules'), join(dir, 'rules'));
  writeFileSync(join(dir, 'targets', 'federate.yml'), stringify(regionals.map((r) => ({ targets: [r.address], labels: { instance: r.instance } }))));
  writeFileSync(join(dir, 'targets', 'prometheus.yml'), '[]\n');
  writeFileSync(join(dir, 'targets', 'alertmanager.yml'), '[]\n');
  return configFile;
}

const dir = tempDir('federation');
const endpoints: Partial<Record<Region, Server>> = {};
const servers: RunningServer[] = [];
let central: RunningServer;

before(async () => {
  const regionals = await Promise.all(
    (['eu', 'us'] as const).map(async (region) => {
      const { server, address } = await startMetricsEndpoint(region);
      endpoints[region] = server;
      const configFile = writePrometheusRuntime(join(dir.path, region), [{ job: 'samokoder-api', address, instance: 'api-1', metricsPath: '/metrics' }], { intervals: { scrape: '1s', evaluation: '1s' } });
      const prometheus = await startTestPrometheus({ name: `prometheus-${region}`, configFile, dataDir: join(dir.path, region, 'data'), region, logFile: join(dir.path, `${region}.log`) });
      servers.push(prometheus);
      return { instance: `prometheus-${region}`, address: `127.0.0.1:${prometheus.port}` };
    }),
  );
  const configFile = writeCentralRuntime(join(dir.path, 'central'), regionals);
  central = await startTestPrometheus({ name: 'prometheus-central', configFile, dataDir: join(dir.path, 'central', 'data'), region: 'global', logFile: join(dir.path, 'central.log') });
  servers.push(central);
});

after(async () => {
  await Promise.all(servers.map((s) => s.process.stop()));
  await Promise.all(Object.values(endpoints).map((s) => new Promise((resolve) => s.close(resolve))));
  dir.remove();
});

const byRegion = (samples: Array<{ metric: Record<string, string>; value: number }>) => Object.fromEntries(samples.map((s) => [s.metric.region, s]));

test('the central has the raw API series of each region, with the regional job and instance labels', async () => {
  const samples = await waitForQuery(central.url, `sum by (job, instance, region, environment) (${REQUESTS.name})`, (r) => r.length === 2, WAIT_MS);
  const regions = byRegion(samples);
  assert.deepEqual(Object.keys(regions).sort(), ['eu', 'us']);
  for (const region of ['eu', 'us']) {
    assert.equal(regions[region]?.metric.job, 'samokoder-api', 'honor_labels keeps the regional job (not "federate")');
    assert.equal(regions[region]?.metric.instance, 'api-1', 'and the regional instance');
    assert.equal(regions[region]?.metric.environment, 'test');
  }
  const [exported] = await instantQuery(central.url, `count({exported_job!=""} or {exported_instance!=""})`);
  assert.equal(exported, undefined, 'no label was renamed to exported_*');
});

test('the regional recording rules arrive per region', async () => {
  const samples = await waitForQuery(central.url, 'job:samokoder_http_requests_failed:ratio_rate5m', (r) => r.length === 2, WAIT_MS);
  const regions = byRegion(samples);
  assert.ok(Math.abs((regions.eu?.value ?? Number.NaN) - 0.1) < 1e-9, `eu ratio ${regions.eu?.value}`);
  assert.equal(regions.us?.value, 0);
});

test("the central's rules evaluate: a global 5xx ratio weighted by each region's traffic", async () => {
  // 10 of 110 requests/s fail: 1/11, not the unweighted mean of the regions' ratios (0.05), nor
  // eu's alone (0.1, before us is federated). The wait fails showing the last value otherwise.
  const weighted = (r: Array<{ value: number }>) => r.length === 1 && Math.abs((r[0]?.value ?? Number.NaN) - 1 / 11) < 0.005;
  const [global] = await waitForQuery(central.url, 'global:samokoder_http_requests_failed:ratio_rate5m', weighted, WAIT_MS);
  assert.deepEqual(global?.metric, { __name__: 'global:samokoder_http_requests_failed:ratio_rate5m', job: 'samokoder-api' }, 'summed over regions');

  const res = await fetch(`${central.url}/api/v1/rules`);
  const groups = ((await res.json()) as { data: { groups: Array<{ file: string; rules: Array<{ name: string; health: string; lastError?: string }> }> } }).data.groups;
  const rules = groups.flatMap((g) => g.rules);
  assert.ok(groups.every((g) => g.file.includes('global.yml')), 'the central loads only its own rules');
  assert.ok(rules.length >= 5, `${rules.length} rules loaded`);
  for (const rule of rules) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError ?? ''}`);
});

test('a region whose API is down makes the central raise RegionAPIDown for that region only', async () => {
  await new Promise((resolve) => endpoints.us?.close(resolve));
  delete endpoints.us;
  const deadline = Date.now() + WAIT_MS;
  let alerts: Array<{ labels: Record<string, string>; state: string }> = [];
  while (Date.now() < deadline) {
    const res = await fetch(`${central.url}/api/v1/alerts`);
    alerts = ((await res.json()) as { data: { alerts: typeof alerts } }).data.alerts.filter((a) => a.labels.alertname === 'RegionAPIDown');
    if (alerts.length > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.deepEqual(
    alerts.map((a) => [a.labels.region, a.labels.job, a.labels.severity]),
    [['us', 'samokoder-api', 'critical']],
    'RegionAPIDown is pending (its `for: 2m` not yet elapsed) for us only',
  );
  const up = byRegion(await instantQuery(central.url, 'job_region:samokoder_api_instances_up:sum'));
  assert.equal(up.eu?.value, 1);
  assert.equal(up.us?.value, 0);
});
