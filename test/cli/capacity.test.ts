// `capacity`: the operator guide's disk formula and the thresholds as pure functions, then the command
// against a real Prometheus (the committed prometheus.yml, 1s intervals, scraping itself).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BASE_MEMORY_BYTES, capacityCommand, DEFAULT_BYTES_PER_SAMPLE, estimateCapacity, formatBytes, MEMORY_PER_SERIES_BYTES, type CapacityEstimate, type CapacityInputs } from '../../src/cli/capacity.ts';
import { freePort } from '../../src/stack/ports.ts';
import { writePrometheusRuntime } from '../../src/monitoring/prometheus.ts';
import { tempDir } from '../support/services.ts';
import { instantQuery, startTestPrometheus, waitForQuery, type RunningServer } from '../support/prometheus.ts';

const DAY = 86_400;
const inputs = (over: Partial<CapacityInputs> = {}): CapacityInputs => ({ series: 10_000, samplesPerSecond: 1000, bytesPerSample: 2, bytesPerSampleMeasured: true, ...over });

test("disk is the operator guide's formula: 1000 samples/s × 2 B × 30 days ≈ 5 GB", () => {
  const estimate = estimateCapacity(inputs(), 30 * DAY);
  assert.equal(estimate.diskBytes, 1000 * 2 * 30 * DAY);
  assert.equal(formatBytes(estimate.diskBytes), '4.8 GiB'); // 5.18e9 bytes
  assert.equal(estimate.memoryBytes, BASE_MEMORY_BYTES + 10_000 * MEMORY_PER_SERIES_BYTES);
  assert.deepEqual([estimate.remoteStorage, estimate.federation], [[], []]);
});

test('remote storage is advised beyond 90 days or 500 GiB; federation beyond 1M series or 200k samples/s', () => {
  assert.deepEqual(estimateCapacity(inputs(), 90 * DAY).remoteStorage, []);
  assert.match(estimateCapacity(inputs(), 91 * DAY).remoteStorage.join(), /retention above 90 days/);
  assert.match(estimateCapacity(inputs({ samplesPerSecond: 150_000 }), 30 * DAY).remoteStorage.join(), /more than 500\.0 GiB/);
  assert.deepEqual(estimateCapacity(inputs({ series: 1_000_000 }), DAY).federation, []);
  assert.match(estimateCapacity(inputs({ series: 1_000_001 }), DAY).federation.join(), /more than 1,000,000 active series/);
  assert.match(estimateCapacity(inputs({ samplesPerSecond: 250_000 }), DAY).federation.join(), /samples\/s/);
});

test('formatBytes picks the unit', () => {
  assert.deepEqual([0, 1023, 1024, 1536 * 1024, 3 * 1024 ** 4].map(formatBytes), ['0 B', '1023 B', '1.0 KiB', '1.5 MiB', '3.0 TiB']);
});

function capture(): { out: string[]; err: string[]; output: { out: (l: string) => void; err: (l: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

const dir = tempDir('capacity');
let prometheus: RunningServer;

before(async () => {
  const port = await freePort();
  const configFile = writePrometheusRuntime(join(dir.path, 'runtime'), [{ job: 'prometheus', address: `127.0.0.1:${port}`, instance: 'prometheus', metricsPath: '/metrics' }], { intervals: { scrape: '1s', evaluation: '1s' } });
  prometheus = await startTestPrometheus({ name: 'prometheus', configFile, dataDir: join(dir.path, 'tsdb'), port, logFile: join(dir.path, 'prometheus.log') });
});

after(async () => {
  await prometheus?.process.stop();
  dir.remove();
});

test('against a live Prometheus: its own series and ingestion rate, the default bytes per sample, the formula applied', async () => {
  await waitForQuery(prometheus.url, 'rate(prometheus_tsdb_head_samples_appended_total{job="prometheus"}[5m]) > 0', (r) => r.length === 1, 30_000);
  const { out, err, output } = capture();
  assert.equal(await capacityCommand(['--retention', '30d', '--json'], { PROMETHEUS_URL: prometheus.url }, output), 0, err.join('\n'));
  const report = JSON.parse(out.join('\n')) as { retention: string; inputs: CapacityInputs; estimate: CapacityEstimate };

  const [series] = await instantQuery(prometheus.url, 'prometheus_tsdb_head_series');
  const [perScrape] = await instantQuery(prometheus.url, 'scrape_samples_scraped{job="prometheus"}');
  assert.ok(Math.abs(report.inputs.series - (series?.value ?? 0)) <= 0.1 * (series?.value ?? 0), `series ${report.inputs.series} vs ${series?.value}`);
  // One self-scrape a second: the rate is about the samples of one scrape (plus up, rules...), not a counter total.
  const ratio = report.inputs.samplesPerSecond / (perScrape?.value ?? Number.NaN);
  assert.ok(ratio > 0.5 && ratio < 2, `samples/s ${report.inputs.samplesPerSecond} vs ${perScrape?.value} samples per 1s scrape`);
  assert.equal(report.inputs.bytesPerSampleMeasured, false, 'a fresh Prometheus has compacted no block yet');
  assert.equal(report.inputs.bytesPerSample, DEFAULT_BYTES_PER_SAMPLE);
  assert.equal(report.estimate.retentionSeconds, 30 * DAY);
  const expectedDisk = report.inputs.samplesPerSecond * DEFAULT_BYTES_PER_SAMPLE * 30 * DAY;
  assert.ok(Math.abs(report.estimate.diskBytes - expectedDisk) <= 1e-9 * expectedDisk, `disk ${report.estimate.diskBytes} vs ${expectedDisk}`);
  assert.equal(report.estimate.memoryBytes, BASE_MEMORY_BYTES + report.inputs.series * MEMORY_PER_SERIES_BYTES);
  assert.ok((report.inputs.residentMemoryBytes ?? 0) > 0);
});

test('the text report names disk, memory and the advice; retention defaults to PROMETHEUS_RETENTION', async () => {
  const { out, output } = capture();
  assert.equal(await capacityCommand([], { PROMETHEUS_URL: prometheus.url, PROMETHEUS_RETENTION: '120d' }, output), 0);
  const text = out.join('\n');
  assert.match(text, /^Disk for 120d \(120 days\): [0-9.]+ (KiB|MiB|GiB)$/m);
  assert.match(text, /^Memory: +[0-9.]+ (MiB|GiB) \(50\.0 MiB \+ [0-9,]+ series × 6 KiB\); now using [0-9.]+ MiB$/m);
  assert.match(text, /^Remote storage: +advised \(retention above 90 days\): set REMOTE_WRITE_URL/m);
  assert.match(text, /^Federation: +not needed for size/m);
});

test('an unreachable Prometheus or a bad retention is one clear line and a non-zero exit', async () => {
  const down = capture();
  assert.equal(await capacityCommand([], { PROMETHEUS_URL: `http://127.0.0.1:${await freePort()}` }, down.output), 1);
  assert.match(down.err.join('\n'), /^capacity: http:\/\/127\.0\.0\.1:[0-9]+\/api\/v1\/query\?.* unreachable: ECONNREFUSED$/);
  const bad = capture();
  assert.equal(await capacityCommand(['--retention', '30 days'], { PROMETHEUS_URL: prometheus.url }, bad.output), 2);
  assert.match(bad.err.join('\n'), /--retention must be a Prometheus duration/);
});

test('bytes per sample is measured from compacted chunks once Prometheus has them', async () => {
  // A stand-in answering the command's queries as a Prometheus with compacted blocks would:
  // 3,000 bytes of chunks holding 2,000 samples.
  const answers: Array<[RegExp, number]> = [[/chunk_size_bytes_sum/, 3000], [/chunk_samples_sum/, 2000], [/head_series/, 5000], [/samples_appended/, 400], [/resident_memory/, 1e8]];
  const server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
    const value = answers.find(([re]) => re.test(query))?.[1];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: value === undefined ? [] : [{ metric: {}, value: [0, String(value)] }] } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { out, output } = capture();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    assert.equal(await capacityCommand(['--retention', '10d', '--json'], { PROMETHEUS_URL: url }, output), 0);
    const report = JSON.parse(out.join('\n')) as { inputs: CapacityInputs; estimate: CapacityEstimate };
    assert.equal(report.inputs.bytesPerSampleMeasured, true);
    assert.equal(report.inputs.bytesPerSample, 1.5);
    assert.equal(report.estimate.diskBytes, 400 * 1.5 * 10 * DAY);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
