/**
 * The `/metrics` text, rendered in time slices. prom-client's `registry.metrics()` renders each
 * metric in one synchronous block: ~450-530 ms for 10,000 histogram series on this kind of
 * machine, during which the API answers nothing. This renderer prints the request-path metrics
 * (src/metrics/cells.ts) series by series and gives the event loop a turn whenever a slice has
 * run for `sliceMs`; other metrics (small: process, business) go through prom-client unchanged.
 *
 * The text is byte for byte what `registry.metrics()` returns (test/metrics/cells.test.ts). Each
 * series is read at one instant; different series may be read a few milliseconds apart, as with
 * any scrape of a live process.
 */
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { CellCounter, CellGauge, CellHistogram } from './cells.ts';

/** Series rendered between two clock reads. */
const CHECK_EVERY = 64;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Renders `registry` in the Prometheus text format, yielding to the event loop every `sliceMs`. */
export async function renderMetrics(registry: Registry, sliceMs = 10): Promise<string> {
  // Lines are joined slice by slice: one join of a whole 10,000-series metric is itself a long block.
  const chunks: string[] = [];
  let lines: string[] = [];
  let sliceStart = performance.now();
  const maybeYield = async () => {
    if (performance.now() - sliceStart < sliceMs) return;
    if (lines.length) chunks.push(lines.join('\n'));
    lines = [];
    await nextTurn();
    sliceStart = performance.now();
  };
  for (const metric of registry.getMetricsAsArray() as unknown[]) {
    // Metrics are separated by a blank line, as registry.metrics() does.
    if (chunks.length || lines.length) lines.push('');
    if (metric instanceof CellCounter || metric instanceof CellGauge || metric instanceof CellHistogram) {
      lines.push(metric.header());
      let n = 0;
      // The metric's own renderSeries: each class prints its own series (no union call signature needed).
      for (const series of metric.entries() as IterableIterator<never>) {
        lines.push(metric.renderSeries(series));
        if (++n % CHECK_EVERY === 0) await maybeYield();
      }
    } else {
      lines.push(await registry.getSingleMetricAsString((metric as { name: string }).name));
    }
    await maybeYield();
  }
  if (lines.length) chunks.push(lines.join('\n'));
  return `${chunks.join('\n')}\n`;
}
