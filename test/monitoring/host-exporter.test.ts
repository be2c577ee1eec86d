// The host rules (monitoring/prometheus/rules/host.yml) against the real thing: Debian's
// node_exporter, started as the local stack starts it, scraped by a real Prometheus that evaluates
// the rules. The records must see this machine's real filesystems (and no memory filesystem) and
// its memory; promtool's tests cannot tell whether the metric and label names are the exporter's.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { RULES_DIR } from '../../src/monitoring/paths.ts';
import { freePort } from '../../src/stack/ports.ts';
import { SERVICES, type StackContext } from '../../src/stack/services.ts';
import { startTestPrometheus, waitForQuery } from '../support/prometheus.ts';
import { tempDir } from '../support/services.ts';

test("the host rules read this machine's filesystems and memory from the stack's node_exporter", async () => {
  const dir = tempDir('host-rules');
  const port = await freePort();
  const nodeExporter = SERVICES.find((s) => s.name === 'node_exporter');
  assert.ok(nodeExporter);
  // The service needs only its port and log directory.
  const { process: exporter } = await nodeExporter.start({ ports: { node_exporter: port }, logDir: dir.path } as unknown as StackContext, {});
  const configFile = join(dir.path, 'prometheus.yml');
  writeFileSync(
    configFile,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(RULES_DIR, 'host.yml')],
      scrape_configs: [{ job_name: 'node', static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { instance: 'node' } }] }],
    }),
  );
  const prometheus = await startTestPrometheus({ name: 'prometheus', configFile, dataDir: join(dir.path, 'data'), logFile: join(dir.path, 'prometheus.log') });
  try {
    const nonEmpty = (samples: unknown[]) => samples.length > 0;
    for (const record of ['instance_mountpoint:node_filesystem_avail:ratio', 'instance_mountpoint:node_filesystem_files_free:ratio']) {
      const samples = await waitForQuery(prometheus.url, record, nonEmpty, 20_000);
      for (const s of samples) {
        assert.ok(s.metric.mountpoint && s.metric.device, `${record}: no mountpoint or device label: ${JSON.stringify(s.metric)}`);
        assert.doesNotMatch(s.metric.fstype ?? '', /^(tmpfs|ramfs|squashfs|overlay)$/, `${record} keeps ${s.metric.mountpoint}`);
        assert.ok(s.value >= 0 && s.value <= 1, `${record}{mountpoint="${s.metric.mountpoint}"} = ${s.value}`);
      }
    }
    // The root filesystem is a real one here: it must be watched.
    await waitForQuery(prometheus.url, 'instance_mountpoint:node_filesystem_avail:ratio{mountpoint="/"}', nonEmpty, 5_000);
    const [memory] = await waitForQuery(prometheus.url, 'node_memory_MemAvailable_bytes{job="node"} / node_memory_MemTotal_bytes{job="node"}', nonEmpty, 5_000);
    assert.ok(memory && memory.value > 0 && memory.value < 1, `available memory ratio ${memory?.value}`);
    // Two samples a second apart: the "filling up" side (free space over its rate of change) computes.
    await waitForQuery(prometheus.url, 'deriv(node_filesystem_avail_bytes{mountpoint="/"}[6h])', nonEmpty, 10_000);
  } finally {
    await prometheus.process.stop();
    await exporter.stop();
    dir.remove();
  }
});
