/**
 * Shared helpers of the benchmarks: statistics, the machine's description, event-loop block
 * probes, a metrics registry like the API's, and a bounded wait. Every benchmark module exports
 * one `run…` function that bench/run.ts calls and returns plain JSON-able results.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createMetrics } from '../src/metrics/registry.ts';

/**
 * The servers bench/instrumentation-cpu.ts compares, as bench/cpu-server.ts builds them: no
 * metrics, an empty hook and listener, ours, fastify-metrics.
 */
export const CPU_VARIANTS = ['none', 'empty-hooks', 'ours', 'fastify-metrics'] as const;
export type CpuVariant = (typeof CPU_VARIANTS)[number];

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The `q` quantile (0..1) of `values`, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** Rounds for display and JSON: `digits` significant decimals. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The machine the figures come from. */
export function machine() {
  const cpu = cpus();
  let os = '';
  try {
    os = execFileSync('uname', ['-srm'], { encoding: 'utf8' }).trim();
  } catch {
    os = process.platform;
  }
  return {
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    os,
    node: process.version,
    /** 1, 5 and 15 minute load averages when the run started: other work on a shared machine. */
    loadAverage: loadavg().map((x) => round(x, 2)),
    date: new Date().toISOString(),
  };
}

/** A registry built exactly like the API's (catalogue + process metrics). */
export function apiLikeMetrics() {
  return createMetrics({ version: 'bench', environment: 'bench', llm: { provider: 'simulator', model: 'simulator-v1' }, llmTokenBudgetPerHour: 1_000_000, diskPaths: ['/'] });
}

/**
 * Runs `work` while probing the event loop, and returns the longest single block in ms.
 * Two probes: `monitorEventLoopDelay` (10 ms resolution histogram max) and a 1 ms `setInterval`
 * whose drift is the time the loop was busy; the larger is reported.
 */
export async function longestBlockMs<T>(work: () => Promise<T>): Promise<{ result: T; blockMs: number; elapsedMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  histogram.enable();
  // Let the probes take their first reading before the work starts.
  await new Promise((r) => setTimeout(r, 5));
  last = performance.now();
  const t0 = performance.now();
  const result = await work();
  const elapsedMs = performance.now() - t0;
  // One more turn so a block at the very end is seen by the interval.
  await new Promise((r) => setTimeout(r, 2));
  clearInterval(timer);
  histogram.disable();
  const histMax = histogram.max / 1e6 - 10;
  return { result, blockMs: Math.max(worst, histMax, 0), elapsedMs };
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resident set size of process `pid` in MiB, from /proc (undefined once it is gone). */
export function rssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? round(Number(kb) / 1024, 1) : undefined;
  } catch {
    return undefined;
  }
}

/** Progress on stderr: benchmarks take minutes and should say what they are doing. */
export function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}
