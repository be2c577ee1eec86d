/**
 * Throwaway Prometheus and VictoriaMetrics servers for the scaling tests (federation,
 * remote_write, capacity), on free loopback ports, plus a PromQL client with bounded waits.
 * The config files come from the committed ones (monitoring/prometheus); only targets and
 * intervals are rewritten by the tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireBinary } from '../../src/packages.ts';
import { freePort } from '../../src/stack/ports.ts';
import { httpReady, startProcess, type ManagedProcess } from '../../src/stack/process.ts';

/** A running server and its base URL. */
export interface RunningServer {
  process: ManagedProcess;
  port: number;
  url: string;
}

export interface TestPrometheusOptions {
  name: string;
  configFile: string;
  /** `--storage.tsdb.path`; reuse it to restart with the same TSDB. */
  dataDir: string;
  /** A free port when unset. */
  port?: number;
  /** SAMOKODER_ENV and REGION, its external labels. */
  region?: string;
  logFile?: string;
  /** More flags, e.g. a shorter `--rules.alert.resend-delay`. */
  extraArgs?: string[];
}

/** Starts Prometheus (flags as the stack's: expand-external-labels) and resolves once `/-/ready` answers. */
export async function startTestPrometheus(options: TestPrometheusOptions): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  const process = await startProcess({
    name: options.name,
    command: requireBinary('prometheus'),
    args: [
      `--config.file=${options.configFile}`,
      `--storage.tsdb.path=${options.dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=expand-external-labels',
      ...(options.extraArgs ?? []),
    ],
    env: { PATH: globalThis.process.env.PATH, SAMOKODER_ENV: 'test', REGION: options.region ?? 'local' },
    logFile: options.logFile,
    ready: httpReady(`http://127.0.0.1:${port}/-/ready`),
  });
  return { process, port, url: `http://127.0.0.1:${port}` };
}

/**
 * Starts a Prometheus in `dir` that scrapes only itself every second (job `prometheus`), once its
 * first sample is in: a real query backend with one known series, `up{job="prometheus"}`.
 */
export async function startSelfScrapingPrometheus(dir: string): Promise<RunningServer> {
  const port = await freePort();
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: prometheus\n    static_configs: [{ targets: ['127.0.0.1:${port}'] }]\n`);
  const prometheus = await startTestPrometheus({ name: 'prometheus', configFile, dataDir: join(dir, 'data'), port });
  await waitForQuery(prometheus.url, 'up', (s) => s.length === 1, 20_000);
  return prometheus;
}

/**
 * Starts VictoriaMetrics (single node) with data in `dataDir`, one month's retention. Queries see
 * samples at once (`-search.latencyOffset=0s`, no response cache), so tests wait for ingestion only.
 */
export async function startVictoriaMetrics(dataDir: string, logFile?: string): Promise<RunningServer> {
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const process = await startProcess({
    name: 'victoria-metrics',
    command: requireBinary('victoria-metrics'),
    args: [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dataDir}`, '-retentionPeriod=1', '-search.latencyOffset=0s', '-search.disableCache'],
    logFile,
    ready: httpReady(`http://127.0.0.1:${port}/health`),
  });
  return { process, port, url: `http://127.0.0.1:${port}` };
}

/** One sample of an instant-query vector result. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** Runs the instant query `promql` against the Prometheus-compatible API at `url`. */
export async function instantQuery(url: string, promql: string): Promise<Sample[]> {
  const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { status: string; error?: string; data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`query '${promql}' failed: ${body.error}`);
  if (body.data.resultType !== 'vector') throw new Error(`query '${promql}' returned a ${body.data.resultType}, not a vector`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/**
 * Polls `promql` until `accept(result)` holds and returns that result; throws after `timeoutMs`
 * with the last result, so a failure shows what the server had.
 */
export async function waitForQuery(url: string, promql: string, accept: (samples: Sample[]) => boolean, timeoutMs: number): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Sample[] | string = [];
  while (Date.now() < deadline) {
    try {
      last = await instantQuery(url, promql);
      if (accept(last)) return last;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`'${promql}' at ${url} not as expected within ${timeoutMs / 1000}s; last: ${JSON.stringify(last)}`);
}

/** Alert state as Prometheus' /api/v1/alerts reports it (`any`: pending or firing). */
export type AlertState = 'pending' | 'firing' | 'any';

/** Names of the alerts of the Prometheus at `url` that are in `state` right now. */
export async function activeAlerts(url: string, state: AlertState): Promise<Set<string>> {
  const res = await fetch(`${url}/api/v1/alerts`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { data: { alerts: Array<{ labels: { alertname: string }; state: string }> } };
  return new Set(body.data.alerts.filter((a) => state === 'any' || a.state === state).map((a) => a.labels.alertname));
}

/** Resolves once every alert of `names` is in `state`; fails after `timeoutMs` naming what was active. */
export async function waitForAlerts(url: string, names: string[], state: AlertState, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let active = new Set<string>();
  while (Date.now() < deadline) {
    active = await activeAlerts(url, state);
    if (names.every((n) => active.has(n))) return;
    await sleep(2_000);
  }
  throw new Error(`${names.join(', ')} not ${state} within ${timeoutMs / 1000} s; active: ${[...active].join(', ') || 'none'}`);
}
