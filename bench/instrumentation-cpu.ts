/**
 * Benchmark 1, instrumentation CPU: the same one-route Fastify app with no metrics, with an empty
 * request hook and response listener (Fastify's dispatch and Node's listener alone), with our
 * instrumentation (src/metrics/http.ts) and with fastify-metrics, each in its own child process
 * (bench/cpu-server.ts), driven by autocannon at fixed rates with pipelining 1.
 *
 * A server's CPU is a fixed part that runs whether or not requests come (the event-loop-delay
 * monitor, the GC observer, the process collectors) plus a part per request. One rate cannot tell
 * them apart: CPU per request at one rate is the marginal cost plus the fixed cost divided by the
 * rate. So each cycle loads every server at two rates far apart, and the least-squares line of CPU per
 * second against requests per second gives the marginal µs per request (slope) and the fixed CPU
 * per second (intercept). In each round the four servers are loaded at the same time at the same
 * rate, so other load on the shared machine hits them alike; the figures are medians over cycles
 * of per-cycle differences from no metrics.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CPU_VARIANTS, type CpuVariant, log, median, quantile, round } from './lib.ts';

const SERVER = fileURLToPath(new URL('./cpu-server.ts', import.meta.url));

interface Server {
  child: ChildProcess;
  port: number;
  /** Resolves with the next message from the child. */
  next(): Promise<any>;
}

async function startServer(variant: CpuVariant): Promise<Server> {
  const child = fork(SERVER, [variant], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = () =>
    new Promise<any>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${variant} server did not answer in 30 s`)), 30_000);
      child.once('message', (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  const { port } = await next();
  return { child, port, next };
}

/** autocannon at `rate` req/s for `seconds`; resolves with its result. */
function load(port: number, rate: number, seconds: number) {
  return autocannon({ url: `http://127.0.0.1:${port}/api/v1/items/42`, connections: 8, pipelining: 1, overallRate: rate, duration: seconds });
}

/** One server's reading over one round: requests per second served, CPU µs per second used. */
interface Reading {
  requestsPerSecond: number;
  cpuMicrosPerSecond: number;
}

/** Least-squares line through the readings: slope µs per request, intercept µs per second. */
export function fitLine(readings: readonly Reading[]): { slope: number; intercept: number } {
  const n = readings.length;
  const mx = readings.reduce((s, r) => s + r.requestsPerSecond, 0) / n;
  const my = readings.reduce((s, r) => s + r.cpuMicrosPerSecond, 0) / n;
  const sxx = readings.reduce((s, r) => s + (r.requestsPerSecond - mx) ** 2, 0);
  const sxy = readings.reduce((s, r) => s + (r.requestsPerSecond - mx) * (r.cpuMicrosPerSecond - my), 0);
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** A variant's cost split in two. */
export interface CostSplit {
  /** CPU µs per additional request (the slope). */
  marginalMicros: number;
  /** CPU ms per second spent with no requests at all (the intercept). */
  fixedMillisPerSecond: number;
}

/** A difference from no metrics: the median over cycles, and the spread of the cycles around it. */
export interface CostDifference extends CostSplit {
  /** Interquartile range of the per-cycle marginal differences, µs: how far one cycle can be trusted. */
  marginalIqrMicros: [number, number];
}

export interface CpuResult {
  /** Requests per second each server receives in a round (all four at once), one round per rate per cycle. */
  rates: number[];
  seconds: number;
  cycles: number;
  /** Per variant, the median over cycles of its fitted line. */
  cost: Record<CpuVariant, CostSplit>;
  /** Median over cycles of (variant − none); `oursOverEmptyHooks`: ours − empty-hooks (our code alone). */
  overNone: Record<'ours' | 'fastifyMetrics' | 'emptyHooks' | 'oursOverEmptyHooks', CostDifference>;
  /** Per variant, median CPU µs per request at the highest rate: marginal and fixed cost mixed, as one rate shows it. */
  perRequestAtTopRate: Record<CpuVariant, number>;
  /** fastify-metrics' marginal overhead / ours (null when ours is under 0.1 µs: within noise). */
  peerRatio: number | null;
  goalMicros: number;
  goalPeerRatio: number;
  meetsGoal: boolean;
  meetsPeerGoal: boolean;
  /** Requests served and non-2xx per variant, summed over measured rounds. */
  served: Record<CpuVariant, { requests: number; non2xx: number; errors: number }>;
}

/**
 * Runs the benchmark: `cycles` of one `seconds`-long round per rate (the order rotating from cycle
 * to cycle, so a trend over the run does not lean on one rate), after a warm-up. Two rates far
 * apart give the most precise slope for the time spent; more cycles narrow the median.
 */
export async function runInstrumentationCpu({ rates = [300, 1_800], seconds = 5, cycles = 16, warmupSeconds = 3 } = {}): Promise<CpuResult> {
  const servers = new Map<CpuVariant, Server>();
  try {
    for (const v of CPU_VARIANTS) servers.set(v, await startServer(v));
    const all = CPU_VARIANTS.map((v) => ({ v, server: servers.get(v) as Server }));
    const topRate = Math.max(...rates);
    await Promise.all(all.map(({ server }) => load(server.port, topRate, warmupSeconds)));
    const served = Object.fromEntries(CPU_VARIANTS.map((v) => [v, { requests: 0, non2xx: 0, errors: 0 }])) as CpuResult['served'];
    const fits: Array<Record<CpuVariant, CostSplit>> = [];
    const atTop: Array<Record<CpuVariant, number>> = [];
    for (let c = 0; c < cycles; c++) {
      const readings = Object.fromEntries(CPU_VARIANTS.map((v) => [v, [] as Reading[]])) as Record<CpuVariant, Reading[]>;
      for (let i = 0; i < rates.length; i++) {
        const rate = rates[(c + i) % rates.length] as number;
        for (const { server } of all) server.child.send('start');
        const loads = await Promise.all(all.map(({ server }) => load(server.port, rate, seconds)));
        const answers = await Promise.all(
          all.map(({ server }) => {
            const answer = server.next();
            server.child.send('stop');
            return answer;
          }),
        );
        all.forEach(({ v }, k) => {
          const { cpuMicros, requests, elapsedMicros } = answers[k];
          readings[v].push({ requestsPerSecond: requests / (elapsedMicros / 1e6), cpuMicrosPerSecond: cpuMicros / (elapsedMicros / 1e6) });
          served[v].requests += requests;
          served[v].non2xx += (loads[k] as (typeof loads)[number]).non2xx;
          served[v].errors += (loads[k] as (typeof loads)[number]).errors;
        });
        if (rate === topRate) atTop.push(Object.fromEntries(CPU_VARIANTS.map((v) => [v, (readings[v].at(-1) as Reading).cpuMicrosPerSecond / (readings[v].at(-1) as Reading).requestsPerSecond])) as Record<CpuVariant, number>);
      }
      const fit = Object.fromEntries(
        CPU_VARIANTS.map((v) => {
          const { slope, intercept } = fitLine(readings[v]);
          return [v, { marginalMicros: slope, fixedMillisPerSecond: intercept / 1000 }];
        }),
      ) as Record<CpuVariant, CostSplit>;
      fits.push(fit);
      log(`cpu cycle ${c + 1}/${cycles}: ${CPU_VARIANTS.map((v) => `${v} ${fit[v].marginalMicros.toFixed(1)} µs/req + ${fit[v].fixedMillisPerSecond.toFixed(1)} ms/s`).join(', ')}`);
    }
    const split = (pick: (f: Record<CpuVariant, CostSplit>, key: keyof CostSplit) => number): CostSplit => ({
      marginalMicros: round(median(fits.map((f) => pick(f, 'marginalMicros'))), 2),
      fixedMillisPerSecond: round(median(fits.map((f) => pick(f, 'fixedMillisPerSecond'))), 2),
    });
    const difference = (v: CpuVariant, base: CpuVariant): CostDifference => {
      const marginal = fits.map((f) => f[v].marginalMicros - f[base].marginalMicros);
      return { ...split((f, k) => f[v][k] - f[base][k]), marginalIqrMicros: [round(quantile(marginal, 0.25), 2), round(quantile(marginal, 0.75), 2)] };
    };
    const overNone = {
      ours: difference('ours', 'none'),
      fastifyMetrics: difference('fastify-metrics', 'none'),
      emptyHooks: difference('empty-hooks', 'none'),
      oursOverEmptyHooks: difference('ours', 'empty-hooks'),
    };
    const ours = overNone.ours.marginalMicros;
    const peerRatio = ours >= 0.1 ? round(overNone.fastifyMetrics.marginalMicros / ours, 1) : null;
    return {
      rates,
      seconds,
      cycles,
      cost: Object.fromEntries(CPU_VARIANTS.map((v) => [v, split((f, k) => f[v][k])])) as Record<CpuVariant, CostSplit>,
      overNone,
      perRequestAtTopRate: Object.fromEntries(CPU_VARIANTS.map((v) => [v, round(median(atTop.map((p) => p[v])), 2)])) as Record<CpuVariant, number>,
      peerRatio,
      goalMicros: 2,
      goalPeerRatio: 3,
      meetsGoal: ours <= 2,
      meetsPeerGoal: peerRatio === null || peerRatio >= 3,
      served,
    };
  } finally {
    for (const s of servers.values()) {
      s.child.send('exit');
      const exited = new Promise((r) => s.child.once('exit', r));
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  }
}
