/**
 * Benchmark 3, scrape cost: time to render `/metrics` and the longest event-loop block while it
 * renders, (a) for the API's real series set after mixed traffic (a real API on its own
 * PostgreSQL and Redis, test/support/api.ts, driven by src/cli/traffic.ts) and (b) for a synthetic
 * registry of 10,000 histogram series. Ours is src/metrics/exposition.ts over the cell metrics;
 * the baseline in the same run is prom-client's `registry.metrics()` (for (b), over 10,000
 * prom-client histogram series with the same buckets and values).
 */
import { Histogram, Registry } from 'prom-client';
import { runTraffic } from '../src/cli/traffic.ts';
import { catalogue } from '../src/metrics/catalogue.ts';
import { CellHistogram } from '../src/metrics/cells.ts';
import { renderMetrics } from '../src/metrics/exposition.ts';
import { startTestApi } from '../test/support/api.ts';
import { log, longestBlockMs, median, round } from './lib.ts';

type Measured = { renderMs: number; maxBlockMs: number; medianBlockMs: number; bytes: number };

/** Median render time and the worst single block over `repeats` renders of each, interleaved (a, b, a, b, ...). */
async function measurePair(repeats: number, a: () => Promise<string>, b: () => Promise<string>): Promise<[Measured, Measured]> {
  const runs = [a, b].map(() => ({ times: [] as number[], blocks: [] as number[], bytes: 0 }));
  for (let i = 0; i < repeats; i++) {
    for (const [k, render] of [a, b].entries()) {
      const { result, blockMs, elapsedMs } = await longestBlockMs(render);
      const run = runs[k] as (typeof runs)[number];
      run.times.push(elapsedMs);
      run.blocks.push(blockMs);
      run.bytes = result.length;
    }
  }
  const summary = (r: (typeof runs)[number]): Measured => ({ renderMs: round(median(r.times), 2), maxBlockMs: round(Math.max(...r.blocks), 1), medianBlockMs: round(median(r.blocks), 1), bytes: r.bytes });
  return [summary(runs[0] as (typeof runs)[number]), summary(runs[1] as (typeof runs)[number])];
}

const seriesCount = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;

export interface ScrapeResult {
  real: { series: number; samokoderSeries: number; trafficRequests: number; ours: Measured; promClient: Measured; goalMs: number; meetsGoal: boolean };
  synthetic: { histogramSeries: number; samples: number; ours: Measured; promClient: Measured; goalBlockMs: number; meetsGoal: boolean };
}

/** Runs both parts; `trafficRequests` of mixed traffic first, `repeats` renders each. */
export async function runScrape({ trafficRequests = 2_000, repeats = 30, syntheticRepeats = 5, syntheticSeries = 10_000 } = {}): Promise<ScrapeResult> {
  // (a) The real series set.
  const api = await startTestApi({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000', RATE_LIMIT_USER_PER_MINUTE: '1000000', RATE_LIMIT_LOGIN_PER_MINUTE: '1000000' });
  let real: ScrapeResult['real'];
  try {
    const traffic = await runTraffic({ api: api.url, requests: trafficRequests, seconds: 120, concurrency: 8 });
    log(`scrape: ${traffic.requests} traffic requests ${JSON.stringify(traffic.byStatus)}`);
    const registry = api.deps.metrics.registry;
    const text = await renderMetrics(registry);
    const [ours, promClient] = await measurePair(repeats, () => renderMetrics(registry), () => registry.metrics());
    real = {
      series: seriesCount(text),
      samokoderSeries: text.split('\n').filter((l) => l.startsWith('samokoder_')).length,
      trafficRequests: traffic.requests,
      ours,
      promClient,
      goalMs: 5,
      meetsGoal: ours.renderMs <= 5,
    };
  } finally {
    await api.close();
  }

  // (b) 10,000 histogram series, ours and prom-client's, with the same observations.
  const { httpRequestDuration: def } = catalogue;
  const oursRegistry = new Registry();
  const cells = new CellHistogram(def.name, def.help, def.labelNames, def.buckets, oursRegistry);
  const promRegistry = new Registry();
  const prom = new Histogram({ name: def.name, help: def.help, labelNames: def.labelNames, buckets: [...def.buckets], registers: [promRegistry] });
  for (let i = 0; i < syntheticSeries; i++) {
    const labels = { method: 'GET', endpoint: `/synthetic/${i}` };
    const value = (i % 97) / 50;
    cells.cell(labels).observe(value);
    prom.observe(labels, value);
  }
  const [ours, promClient] = await measurePair(syntheticRepeats, () => renderMetrics(oursRegistry), () => promRegistry.metrics());
  const synthetic = {
    histogramSeries: syntheticSeries,
    samples: seriesCount(await renderMetrics(oursRegistry)),
    ours,
    promClient,
    goalBlockMs: 50,
    meetsGoal: ours.maxBlockMs <= 50,
  };
  return { real, synthetic };
}
