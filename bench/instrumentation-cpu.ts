/**
 * Benchmark 1, instrumentation CPU per request: the same one-route Fastify app with no metrics,
 * with our hooks (src/metrics/http.ts) and with fastify-metrics, each in its own child process
 * (bench/cpu-server.ts), driven by autocannon at a fixed overall rate with pipelining 1. The
 * server's CPU comes from `process.cpuUsage()` in the server process. Rounds interleave the
 * variants (rotating the order) so drift in machine load hits all three alike; the overhead is
 * the median of per-round differences from no-metrics.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Variant } from './cpu-server.ts';
import { log, median, round } from './lib.ts';

const SERVER = fileURLToPath(new URL('./cpu-server.ts', import.meta.url));
const VARIANTS: readonly Variant[] = ['none', 'ours', 'fastify-metrics'];

interface Server {
  child: ChildProcess;
  port: number;
  /** Resolves with the next message from the child. */
  next(): Promise<any>;
}

async function startServer(variant: Variant): Promise<Server> {
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

export interface CpuResult {
  rate: number;
  seconds: number;
  rounds: number;
  /** Median CPU µs per request, per variant. */
  cpuMicrosPerRequest: Record<Variant, number>;
  /** Median over rounds of (variant − none), µs per request. */
  overheadMicros: { ours: number; fastifyMetrics: number };
  /** fastify-metrics' overhead / ours. */
  peerRatio: number;
  goalMicros: number;
  meetsGoal: boolean;
  /** Requests served and non-2xx per variant, summed over measured rounds. */
  served: Record<Variant, { requests: number; non2xx: number; errors: number }>;
}

/** Runs the benchmark: `rounds` × each variant for `seconds` at `rate` req/s after a warm-up. */
export async function runInstrumentationCpu({ rate = 2_000, seconds = 4, rounds = 8, warmupSeconds = 3 } = {}): Promise<CpuResult> {
  const servers = new Map<Variant, Server>();
  try {
    for (const v of VARIANTS) servers.set(v, await startServer(v));
    for (const v of VARIANTS) await load((servers.get(v) as Server).port, rate, warmupSeconds);
    const perRound: Array<Record<Variant, number>> = [];
    const served = Object.fromEntries(VARIANTS.map((v) => [v, { requests: 0, non2xx: 0, errors: 0 }])) as CpuResult['served'];
    for (let r = 0; r < rounds; r++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length] as Variant);
      const round: Partial<Record<Variant, number>> = {};
      for (const v of order) {
        const server = servers.get(v) as Server;
        server.child.send('start');
        const result = await load(server.port, rate, seconds);
        const answer = server.next();
        server.child.send('stop');
        const { cpuMicros, requests } = await answer;
        round[v] = cpuMicros / requests;
        served[v].requests += requests;
        served[v].non2xx += result.non2xx;
        served[v].errors += result.errors;
      }
      perRound.push(round as Record<Variant, number>);
      log(`cpu round ${r + 1}/${rounds}: ${VARIANTS.map((v) => `${v} ${round[v]?.toFixed(1)} µs`).join(', ')}`);
    }
    const ours = median(perRound.map((p) => p.ours - p.none));
    const peer = median(perRound.map((p) => p['fastify-metrics'] - p.none));
    return {
      rate,
      seconds,
      rounds,
      cpuMicrosPerRequest: Object.fromEntries(VARIANTS.map((v) => [v, round(median(perRound.map((p) => p[v])), 2)])) as Record<Variant, number>,
      overheadMicros: { ours: round(ours, 2), fastifyMetrics: round(peer, 2) },
      peerRatio: round(peer / Math.max(ours, 0.01), 1),
      goalMicros: 2,
      meetsGoal: ours <= 2,
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
