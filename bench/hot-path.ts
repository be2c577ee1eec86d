/**
 * Benchmark 2, the hot path: nanoseconds to record one HTTP request — exactly what the hooks of
 * src/metrics/http.ts do (in-progress up, in-progress down, histogram observe, counter inc through
 * cached cells) — against prom-client in the same process and run, both ways it is commonly used:
 * cached `labels()` children (this module's previous design) and label objects on every call. Also the cost of reading `request.routeOptions.url` (the hook's one
 * Fastify access), measured on a real Fastify request.
 */
import Fastify, { type FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { catalogue } from '../src/metrics/catalogue.ts';
import { createHttpRecorder } from '../src/metrics/http.ts';
import { apiLikeMetrics, median, round } from './lib.ts';

const ROUTES = ['/api/v1/projects', '/api/v1/projects/:id', '/api/v1/auth/login', '/health'] as const;
const STATUSES = [200, 200, 200, 201, 401, 404] as const;
/** Durations spread over the buckets (the bucket search is linear), fixed so runs compare. */
const SECONDS = Array.from({ length: 1024 }, (_, i) => ((i * 7919) % 1000) / 1000 ** ((i % 3) + 1));

/** ns per iteration of `body(i)` over `iterations`, after a warm-up. */
function timeLoop(iterations: number, body: (i: number) => void): number {
  for (let i = 0; i < Math.min(iterations, 200_000); i++) body(i);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) body(i);
  return ((performance.now() - t0) * 1e6) / iterations;
}

/** The three HTTP metrics as prom-client objects, for the baselines. */
function promClientHttp() {
  const registry = new Registry();
  const { httpRequestsTotal: total, httpRequestDuration: duration, httpRequestsInProgress: inProgress } = catalogue;
  return {
    requests: new Counter({ name: total.name, help: total.help, labelNames: total.labelNames, registers: [registry] }),
    duration: new Histogram({ name: duration.name, help: duration.help, labelNames: duration.labelNames, buckets: [...duration.buckets], registers: [registry] }),
    inProgress: new Gauge({ name: inProgress.name, help: inProgress.help, labelNames: inProgress.labelNames, registers: [registry] }),
  };
}

/** A real Fastify request object of a matched route, to time the getter the hook reads. */
async function realRequest(): Promise<FastifyRequest> {
  const app = Fastify();
  let captured: FastifyRequest | undefined;
  app.get('/api/v1/projects/:id', async (request) => {
    captured = request;
    return { ok: true };
  });
  await app.inject('/api/v1/projects/1');
  await app.close();
  if (!captured) throw new Error('the route did not run');
  return captured;
}

export interface HotPathResult {
  iterations: number;
  runs: number;
  /** Median ns per recorded request through the recorder the hooks use. */
  oursNs: number;
  /** Median ns per request with prom-client `labels()` children cached per (route, method, status). */
  promClientChildrenNs: number;
  /** Median ns per request with prom-client label objects on every call. */
  promClientLabelsNs: number;
  /** Median ns per `request.routeOptions.url` read (the hook's one Fastify access, not in oursNs). */
  routeOptionsUrlNs: number;
  /** oursNs + routeOptionsUrlNs: everything the hooks do per request except Fastify's own hook dispatch. */
  hooksTotalNs: number;
  /** promClientChildrenNs / oursNs. */
  ratioVsPromClientChildren: number;
  goalNs: number;
  meetsGoal: boolean;
}

/** Runs the hot-path micro-benchmark: `runs` rounds of `iterations` each, interleaved. */
export async function runHotPath({ iterations = 500_000, runs = 7 } = {}): Promise<HotPathResult> {
  const ours = apiLikeMetrics();
  const recorder = createHttpRecorder(ours.http);
  const base = promClientHttp();
  const children = ROUTES.map((endpoint) => {
    const labels = { method: 'GET', endpoint };
    return { gauge: base.inProgress.labels(labels), histogram: base.duration.labels(labels), byStatus: STATUSES.map((status) => base.requests.labels({ ...labels, status: String(status) })) };
  });
  const request = await realRequest();
  let sink = 0;

  const oursRuns: number[] = [];
  const childRuns: number[] = [];
  const baseRuns: number[] = [];
  const getterRuns: number[] = [];
  for (let r = 0; r < runs; r++) {
    oursRuns.push(
      timeLoop(iterations, (i) => {
        const route = recorder.start(ROUTES[i & 3] as string, 'GET');
        recorder.finish(route, STATUSES[i % 6] as number, SECONDS[i & 1023] as number);
      }),
    );
    childRuns.push(
      timeLoop(iterations, (i) => {
        const c = children[i & 3] as (typeof children)[number];
        c.gauge.inc();
        c.gauge.dec();
        c.histogram.observe(SECONDS[i & 1023] as number);
        c.byStatus[i % 6]?.inc();
      }),
    );
    baseRuns.push(
      timeLoop(iterations, (i) => {
        const labels = { method: 'GET', endpoint: ROUTES[i & 3] as string };
        base.inProgress.inc(labels);
        base.inProgress.dec(labels);
        base.duration.observe(labels, SECONDS[i & 1023] as number);
        base.requests.inc({ ...labels, status: String(STATUSES[i % 6]) });
      }),
    );
    getterRuns.push(
      timeLoop(iterations, () => {
        sink += request.routeOptions.url?.length ?? 0;
      }),
    );
  }
  if (sink === 42) process.stderr.write(''); // keeps the getter loop from being optimised away

  const oursNs = median(oursRuns);
  const routeOptionsUrlNs = median(getterRuns);
  const hooksTotalNs = oursNs + routeOptionsUrlNs;
  return {
    iterations,
    runs,
    oursNs: round(oursNs, 1),
    promClientChildrenNs: round(median(childRuns), 1),
    promClientLabelsNs: round(median(baseRuns), 1),
    routeOptionsUrlNs: round(routeOptionsUrlNs, 1),
    hooksTotalNs: round(hooksTotalNs, 1),
    ratioVsPromClientChildren: round(median(childRuns) / oursNs, 1),
    goalNs: 300,
    meetsGoal: hooksTotalNs <= 300,
  };
}
