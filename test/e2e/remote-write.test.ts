// Long-term storage end to end: a real Prometheus (the committed prometheus.yml and rules, 1s
// intervals, scraping itself) with remote_write rendered as the launcher renders it, sending to
// a real VictoriaMetrics. The samples are queryable there with PromQL, carry Prometheus' external
// labels, and keep arriving after Prometheus is stopped and started again on the same TSDB, with
// the earlier samples still there.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../../src/stack/ports.ts';
import { writePrometheusRuntime } from '../../src/monitoring/prometheus.ts';
import { tempDir } from '../support/services.ts';
import { instantQuery, startTestPrometheus, startVictoriaMetrics, waitForQuery, type RunningServer } from '../support/prometheus.ts';

// Prometheus sends a batch at the latest every 5s (batch_send_deadline); a restart replays its WAL.
const WAIT_MS = 40_000;
const REGION = 'rw-test';
const dir = tempDir('remote-write');
let vm: RunningServer;
let prometheus: RunningServer | undefined;
let configFile: string;
let port: number;

const startPrometheus = () =>
  startTestPrometheus({ name: 'prometheus', configFile, dataDir: join(dir.path, 'tsdb'), port, region: REGION, logFile: join(dir.path, 'prometheus.log') });

before(async () => {
  vm = await startVictoriaMetrics(join(dir.path, 'vm'), join(dir.path, 'vm.log'));
  port = await freePort();
  // As the launcher writes it with REMOTE_WRITE_URL set (only the intervals are shortened).
  const targets = [{ job: 'prometheus', address: `127.0.0.1:${port}`, instance: 'prometheus', metricsPath: '/metrics' }];
  configFile = writePrometheusRuntime(join(dir.path, 'runtime'), targets, { intervals: { scrape: '1s', evaluation: '1s' }, remoteWriteUrl: `${vm.url}/api/v1/write` });
  prometheus = await startPrometheus();
});

after(async () => {
  await prometheus?.process.stop();
  await vm?.process.stop();
  dir.remove();
});

const UP = 'up{job="prometheus"}';
const samplesStored = async () => (await instantQuery(vm.url, `count_over_time(${UP}[1h])`))[0]?.value ?? 0;

test('samples Prometheus scrapes are queryable in VictoriaMetrics with PromQL, with the external labels', async () => {
  const [up] = await waitForQuery(vm.url, UP, (r) => r.length === 1, WAIT_MS);
  assert.equal(up?.value, 1);
  assert.equal(up?.metric.instance, 'prometheus');
  assert.equal(up?.metric.region, REGION, 'external label region added on the way out');
  assert.equal(up?.metric.environment, 'test');
  const [rate] = await waitForQuery(vm.url, 'sum by (job) (rate(prometheus_tsdb_head_samples_appended_total[30s]))', (r) => (r[0]?.value ?? 0) > 0, WAIT_MS);
  assert.equal(rate?.metric.job, 'prometheus');
});

test('after a Prometheus restart on the same TSDB, new samples arrive and the old ones remain', async () => {
  const before = await samplesStored();
  assert.ok(before > 0);
  await prometheus?.process.stop();
  const restartedAt = Date.now() / 1000;
  prometheus = await startPrometheus();

  const [latest] = await waitForQuery(vm.url, `timestamp(${UP})`, (r) => (r[0]?.value ?? 0) > restartedAt, WAIT_MS);
  assert.ok((latest?.value ?? 0) > restartedAt, 'a sample scraped after the restart reached VictoriaMetrics');
  const afterRestart = await samplesStored();
  assert.ok(afterRestart > before, `samples in VictoriaMetrics grew from ${before} to ${afterRestart}`);
  const [remoteFailures] = await instantQuery(prometheus!.url, 'sum(prometheus_remote_storage_samples_failed_total)');
  assert.equal(remoteFailures?.value, 0, 'no sample failed to send');
});
