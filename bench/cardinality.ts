/**
 * Benchmark 4, cardinality: the number of series in `/metrics` after 100 ordinary requests
 * (src/cli/traffic.ts against a real API), then after a first 100 hostile requests, then after
 * 100,000 of them — random paths, ids, methods and query strings, sent with `app.inject` (same
 * routing and hooks as the network path, without spending the two cores on sockets). The goal
 * is no growth: the hostile requests can only add the bounded `unmatched`/`OTHER` combinations,
 * all of which the first 100 already produce.
 */
import { randomUUID } from 'node:crypto';
import { runTraffic } from '../src/cli/traffic.ts';
import { renderMetrics } from '../src/metrics/exposition.ts';
import { startTestApi, type TestApi } from '../test/support/api.ts';
import { log } from './lib.ts';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'MKCOL', 'PURGE'] as const;

/** Series lines (not comments) in the exposition, and the samokoder_* ones by name. */
async function series(api: TestApi): Promise<{ all: number; samokoder: Set<string> }> {
  const lines = (await renderMetrics(api.deps.metrics.registry)).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return { all: lines.length, samokoder: new Set(lines.filter((l) => l.startsWith('samokoder_')).map((l) => l.slice(0, l.lastIndexOf(' ')))) };
}

/** The i-th hostile request: a random path, id, method and query string. */
function hostile(i: number, token: string) {
  const id = randomUUID();
  const paths = [`/x/${id}`, `/api/v1/projects/${id}`, `/api/v1/${i}?q=${id}&n=${i}`, `/${'a'.repeat(i % 300)}`, `/api/v1/projects?page=${i}&sort=${id}`, `/wp-admin/${id}.php`, `/api/v1/auth/${id}`, `/%2e%2e/${i}`];
  return {
    method: METHODS[i % METHODS.length] as string,
    url: paths[(i * 7) % paths.length] as string,
    headers: i % 3 === 0 ? { authorization: `Bearer ${token}` } : i % 3 === 1 ? { authorization: `Bearer ${id}` } : {},
  };
}

export interface CardinalityResult {
  ordinaryRequests: number;
  afterOrdinary: { series: number; samokoderSeries: number };
  afterFirstHostile: { requests: number; series: number; samokoderSeries: number };
  afterAllHostile: { requests: number; series: number; samokoderSeries: number; byStatus: Record<string, number>; seconds: number };
  /** How many samokoder_* series the hostile requests added over ordinary traffic (bounded enum combinations). */
  addedByHostileCount: number;
  /** Those of them in the request counter (the histogram and gauge follow the same (method, endpoint) pairs). */
  addedRequestCounterSeries: string[];
  /** samokoder_* series that appeared between the first 100 and the last hostile request (should be none). */
  grewDuringHostile: string[];
  meetsGoal: boolean;
}

/** Runs the benchmark with `hostileRequests` (bounded, in batches of 200 concurrent injections). */
export async function runCardinality({ ordinaryRequests = 100, firstHostile = 100, hostileRequests = 100_000 } = {}): Promise<CardinalityResult> {
  const api = await startTestApi({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10000000', RATE_LIMIT_USER_PER_MINUTE: '10000000', RATE_LIMIT_LOGIN_PER_MINUTE: '10000000' });
  try {
    await runTraffic({ api: api.url, requests: ordinaryRequests, seconds: 60, concurrency: 4 });
    const ordinary = await series(api);
    const { token } = await api.user();
    const byStatus: Record<string, number> = {};
    const send = async (i: number) => {
      const res = await api.app.inject(hostile(i, token));
      byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
    };
    for (let i = 0; i < firstHostile; i++) await send(i);
    const first = await series(api);
    const started = Date.now();
    for (let i = firstHostile; i < hostileRequests; i += 200) {
      await Promise.all(Array.from({ length: Math.min(200, hostileRequests - i) }, (_, j) => send(i + j)));
      if ((i - firstHostile) % 20_000 < 200) log(`cardinality: ${i} hostile requests sent`);
    }
    const seconds = (Date.now() - started) / 1000;
    const last = await series(api);
    const grew = [...last.samokoder].filter((s) => !first.samokoder.has(s));
    const added = [...last.samokoder].filter((s) => !ordinary.samokoder.has(s));
    return {
      ordinaryRequests,
      afterOrdinary: { series: ordinary.all, samokoderSeries: ordinary.samokoder.size },
      afterFirstHostile: { requests: firstHostile, series: first.all, samokoderSeries: first.samokoder.size },
      afterAllHostile: { requests: hostileRequests, series: last.all, samokoderSeries: last.samokoder.size, byStatus, seconds: Math.round(seconds) },
      addedByHostileCount: added.length,
      addedRequestCounterSeries: added.filter((name) => name.startsWith('samokoder_http_requests_total{')),
      grewDuringHostile: grew,
      meetsGoal: grew.length === 0,
    };
  } finally {
    await api.close();
  }
}
