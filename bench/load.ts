/**
 * Issue 6 §8, load: mixed traffic (src/cli/traffic.ts) against the whole local stack. A short ramp
 * finds the highest concurrency whose p95 stays well under 500 ms with no errors; then a long run
 * at it (5 minutes by default) measures throughput, latency, errors (5xx and no answer), the API's
 * memory trend, and compares Prometheus' view — the request counter and the SLO recording rules —
 * with the generator's own counts.
 */
import { runTraffic } from '../src/cli/traffic.ts';
import { promQuery, type BenchStack } from './bench-stack.ts';
import { memorySnapshot, type ServiceMemory } from './footprint.ts';
import { log, quantile, round, rssMiB, sleep } from './lib.ts';
import type { ServiceName } from '../src/stack/services.ts';

interface Observed {
  latencies: number[];
  statuses: number[];
}

async function traffic(bench: BenchStack, concurrency: number, seconds: number, onTick?: () => void): Promise<Observed & { elapsed: number }> {
  const observed: Observed = { latencies: [], statuses: [] };
  const timer = onTick ? setInterval(onTick, 10_000) : undefined;
  const started = Date.now();
  try {
    await runTraffic({
      api: bench.stack.urls.api,
      requests: 10_000_000,
      seconds,
      concurrency,
      onResponse: (status, ms) => {
        observed.statuses.push(status);
        observed.latencies.push(ms);
      },
    });
  } finally {
    if (timer) clearInterval(timer);
  }
  return { ...observed, elapsed: (Date.now() - started) / 1000 };
}

const isError = (status: number) => status === 0 || status >= 500;

/** Least-squares slope of `points` (x minutes, y MiB), MiB per minute. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return num / den;
}

export interface LoadResult {
  ramp: Array<{ concurrency: number; rps: number; p95Ms: number; errors: number }>;
  concurrency: number;
  seconds: number;
  requests: number;
  rps: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  byStatus: Record<string, number>;
  errorRatio: number;
  goals: { p95Below500: boolean; errorsBelow0_1pct: boolean; noUpwardMemoryTrend: boolean };
  apiMemory: { firstMiB: number; lastMiB: number; peakMiB: number; slopeMiBPerMinAfterFirstMinute: number | null; samples: Array<[number, number]> };
  prometheus: {
    counterDelta: number;
    generatorAnswered: number;
    ratio5xxRule: number | null;
    ratio5xxGenerator: number;
    slowRatioRule: number | null;
    slowRatioGenerator: number;
  };
  /** Memory snapshots of every service taken every 10 s during the run (for the footprint). */
  snapshots: Array<Partial<Record<ServiceName, ServiceMemory>>>;
}

/** Runs the ramp and the long run on `bench`. */
export async function runLoad(bench: BenchStack, { rampSeconds = 15, rampConcurrencies = [2, 4, 8, 16], seconds = 300 } = {}): Promise<LoadResult> {
  const ramp: LoadResult['ramp'] = [];
  for (const concurrency of rampConcurrencies) {
    const o = await traffic(bench, concurrency, rampSeconds);
    const step = { concurrency, rps: round(o.statuses.length / o.elapsed, 0), p95Ms: round(quantile(o.latencies, 0.95), 1), errors: o.statuses.filter(isError).length };
    ramp.push(step);
    log(`load ramp: ${JSON.stringify(step)}`);
  }
  // Highest throughput with p95 under 250 ms (half the SLO: room for a long run) and no errors.
  const fit = ramp.filter((s) => s.p95Ms < 250 && s.errors === 0);
  const chosen = (fit.length ? fit : ramp).reduce((best, s) => (s.rps > best.rps ? s : best));

  const api = bench.stack.service('api').process.pid;
  const scrapeWait = bench.intervals.scrape + bench.intervals.evaluation + 2_000;
  await sleep(scrapeWait); // the ramp's requests are scraped before the baseline is read
  const counter = async () => (await promQuery(bench.stack, 'sum(samokoder_http_requests_total{job="samokoder-api"})'))[0] ?? Number.NaN;
  const before = await counter();

  const started = Date.now();
  const samples: Array<[number, number]> = [];
  const snapshots: LoadResult['snapshots'] = [];
  log(`load: ${seconds} s at concurrency ${chosen.concurrency}`);
  const o = await traffic(bench, chosen.concurrency, seconds, () => {
    samples.push([round((Date.now() - started) / 60_000, 2), rssMiB(api) ?? Number.NaN]);
    snapshots.push(memorySnapshot(bench));
  });
  await sleep(scrapeWait);
  const after = await counter();
  const rule = async (name: string) => (await promQuery(bench.stack, `${name}{job="samokoder-api"}`))[0] ?? null;
  const ratio5xxRule = await rule('job:samokoder_http_requests_failed:ratio_rate5m');
  const slowRatioRule = await rule('job:samokoder_http_requests_slow:ratio_rate5m');

  const byStatus: Record<string, number> = {};
  for (const s of o.statuses) byStatus[s === 0 ? 'no-answer' : String(s)] = (byStatus[s === 0 ? 'no-answer' : String(s)] ?? 0) + 1;
  const answered = o.statuses.filter((s) => s !== 0).length;
  const errors = o.statuses.filter(isError).length;
  const p95 = quantile(o.latencies, 0.95);
  const late = samples.filter(([m]) => m >= 1);
  const trend = slope(late);
  const rss = samples.map((s) => s[1]);
  return {
    ramp,
    concurrency: chosen.concurrency,
    seconds: round(o.elapsed, 0),
    requests: o.statuses.length,
    rps: round(o.statuses.length / o.elapsed, 0),
    latencyMs: { p50: round(quantile(o.latencies, 0.5), 1), p95: round(p95, 1), p99: round(quantile(o.latencies, 0.99), 1), max: round(Math.max(...o.latencies), 0) },
    byStatus,
    errorRatio: errors / Math.max(1, o.statuses.length),
    goals: {
      p95Below500: p95 < 500,
      errorsBelow0_1pct: errors / Math.max(1, o.statuses.length) < 0.001,
      // Under 1 MiB/min after the first minute (JIT, pools and caches warm up in the first).
      noUpwardMemoryTrend: trend < 1,
    },
    apiMemory: { firstMiB: rss[0] ?? Number.NaN, lastMiB: rss[rss.length - 1] ?? Number.NaN, peakMiB: Math.max(...rss), slopeMiBPerMinAfterFirstMinute: Number.isFinite(trend) ? round(trend, 2) : null, samples },
    prometheus: {
      counterDelta: after - before,
      generatorAnswered: answered,
      ratio5xxRule,
      ratio5xxGenerator: o.statuses.filter((s) => s >= 500).length / Math.max(1, answered),
      slowRatioRule: slowRatioRule === null ? null : round(slowRatioRule, 5),
      slowRatioGenerator: round(o.latencies.filter((ms) => ms > 500).length / Math.max(1, o.latencies.length), 5),
    },
    snapshots,
  };
}
