/**
 * Benchmark 1, instrumentation CPU per request: the same one-route Fastify app with no metrics,
 * with three empty hooks (Fastify's dispatch alone), with our hooks (src/metrics/http.ts) and with
 * fastify-metrics, each in its own child process
 * (bench/cpu-server.ts), driven by autocannon at a fixed overall rate with pipelining 1. The
 * server's CPU comes from `process.cpuUsage()` in the server process. In each round the three
 * servers are loaded at the same time, each at the same fixed rate, so whatever else the machine
 * does in that window hits all three alike (measured one after another, other load on a shared
 * 2-core machine moved the no-metrics figure by 2× between rounds); the overhead is the median
 * of per-round differences from no-metrics.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Variant } from './cpu-server.ts';
import { log, median, round } from './lib.ts';

const SERVER = fileURLToPath(new URL('./cpu-server.ts', import.meta.url));
const VARIANTS: readonly Variant[] = ['none', 'empty-hooks', 'ours', 'fastify-metrics'];

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
  /** Requests per second each server receives (all three at once). */
  rate: number;
  seconds: number;
  rounds: number;
  /** Median CPU µs per request, per variant. */
  cpuMicrosPerRequest: Record<Variant, number>;
  /** Median over rounds of (variant − none), µs per request; `oursOverEmptyHooks`: ours − empty-hooks (our code alone). */
  overheadMicros: { ours: number; fastifyMetrics: number; emptyHooks: number; oursOverEmptyHooks: number };
  /** fastify-metrics' overhead / ours (null when ours is under 0.1 µs: within noise). */
  peerRatio: number | null;
  goalMicros: number;
  meetsGoal: boolean;
  /** Requests served and non-2xx per variant, summed over measured rounds. */
  served: Record<Variant, { requests: number; non2xx: number; errors: number }>;
}

/** Runs the benchmark: `rounds` of `seconds`, each server at `rate` req/s at the same time, after a warm-up. */
export async function runInstrumentationCpu({ rate = 1_500, seconds = 4, rounds = 15, warmupSeconds = 3 } = {}): Promise<CpuResult> {
  const servers = new Map<Variant, Server>();
  try {
    for (const v of VARIANTS) servers.set(v, await startServer(v));
    await Promise.all(VARIANTS.map((v) => load((servers.get(v) as Server).port, rate, warmupSeconds)));
    const perRound: Array<Record<Variant, number>> = [];
    const served = Object.fromEntries(VARIANTS.map((v) => [v, { requests: 0, non2xx: 0, errors: 0 }])) as CpuResult['served'];
    for (let r = 0; r < rounds; r++) {
      const round: Partial<Record<Variant, number>> = {};
      const all = VARIANTS.map((v) => ({ v, server: servers.get(v) as Server }));
      for (const { server } of all) server.child.send('start');
      const loads = await Promise.all(all.map(({ server }) => load(server.port, rate, seconds)));
      const answers = await Promise.all(
        all.map(({ server }) => {
          const answer = server.next();
          server.child.send('stop');
          return answer;
        }),
      );
      all.forEach(({ v }, i) => {
        const { cpuMicros, requests } = answers[i];
        round[v] = cpuMicros / requests;
        served[v].requests += requests;
        served[v].non2xx += (loads[i] as (typeof loads)[number]).non2xx;
        served[v].errors += (loads[i] as (typeof loads)[number]).errors;
      });
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
      overheadMicros: {
        ours: round(ours, 2),
        fastifyMetrics: round(peer, 2),
        emptyHooks: round(median(perRound.map((p) => p['empty-hooks'] - p.none)), 2),
        oursOverEmptyHooks: round(median(perRound.map((p) => p.ours - p['empty-hooks'])), 2),
      },
      peerRatio: ours >= 0.1 ? round(peer / ours, 1) : null,
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
