/**
 * Node's process metrics (CPU, memory, heap, event-loop lag, GC, file descriptors, active
 * handles): prom-client's defaults, through its public API, less the three gauges
 * `nodejs_active_{handles,requests,resources}_total`, whose `_total` suffix (a counter's) fails
 * `promtool check metrics`; their unsuffixed twins stay.
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';

/** Gauges that prom-client names like counters. */
const MISNAMED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Registers the process metrics in `registry`. */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  for (const name of MISNAMED) registry.removeSingleMetric(name);
}
