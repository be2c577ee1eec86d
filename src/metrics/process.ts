/**
 * Node's process metrics (CPU, memory, heap, event-loop lag, GC, file descriptors), chosen one by
 * one from prom-client's defaults. Left out: `nodejs_active_{handles,requests,resources}_total`,
 * gauges whose `_total` suffix fails `promtool check metrics`.
 */
import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';

const require = createRequire(import.meta.url);
const COLLECTORS = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'eventLoopLag',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
  'gc',
] as const;

type Collector = (registry: Registry, config: { eventLoopMonitoringPrecision: number }) => void;

/** Registers the process metrics listed above in `registry`. */
export function collectProcessMetrics(registry: Registry): void {
  for (const name of COLLECTORS) {
    const collector = require(`prom-client/lib/metrics/${name}.js`) as Collector;
    collector(registry, { eventLoopMonitoringPrecision: 10 });
  }
}
