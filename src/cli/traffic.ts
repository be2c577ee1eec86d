/**
 * `traffic`: a bounded load generator for demos, dashboards and alert drills. It registers users,
 * logs them in, creates projects (within the free quota), reads them back, and adds a share of
 * bad requests (wrong passwords, unknown routes) so every panel has something to show. With
 * ADMIN_TOKEN it can turn the LLM simulator's knobs to inject faults.
 *
 * Bounded twice: at most `--requests` requests and at most `--seconds` seconds.
 *
 * Exit codes: 0 every request was answered; 1 some were not, or the knobs could not be set; 2 bad usage.
 */
import { randomBytes } from 'node:crypto';
import { defineCommand } from './command.ts';

const USAGE = `Usage: traffic [--api URL] [--requests N] [--seconds S] [--concurrency C]
               [--llm-error-rate X] [--llm-latency-ms MS]
  --api URL           API base URL (default http://127.0.0.1:$API_PORT, i.e. :8000)
  --requests N        stop after N requests (default 300, at most 100000)
  --seconds S         stop after S seconds (default 60, at most 3600)
  --concurrency C     requests in flight (default 4, at most 64)
  --llm-error-rate X  set the simulator's error rate (0..1) first; needs ADMIN_TOKEN
  --llm-latency-ms MS set the simulator's latency first; needs ADMIN_TOKEN`;

/** Options of one traffic run. */
export interface TrafficOptions {
  api: string;
  requests: number;
  seconds: number;
  concurrency: number;
  adminToken?: string;
  knobs?: { errorRate?: number; latencyMs?: number };
  /** Called after every request with its status (0: no answer) and latency in ms (benchmarks). */
  onResponse?: (status: number, ms: number) => void;
}

/** What a run did: requests by status code. */
export interface TrafficSummary {
  requests: number;
  byStatus: Record<string, number>;
  projectsCreated: number;
}

/** Runs traffic against `options.api` until either bound is reached. */
export async function runTraffic(options: TrafficOptions): Promise<TrafficSummary> {
  const summary: TrafficSummary = { requests: 0, byStatus: {}, projectsCreated: 0 };
  const deadline = Date.now() + options.seconds * 1000;
  const users: { email: string; token?: string; projects: string[] }[] = [];
  const password = 'traffic generator password';

  async function call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: any }> {
    summary.requests++;
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let status = 0;
    let json: any;
    const started = performance.now();
    try {
      const res = await fetch(options.api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
      status = res.status;
      json = await res.json().catch(() => undefined);
    } catch {
      status = 0; // connection failed or timed out
    }
    options.onResponse?.(status, performance.now() - started);
    const key = status === 0 ? 'no-answer' : String(status);
    summary.byStatus[key] = (summary.byStatus[key] ?? 0) + 1;
    return { status, json };
  }

  if (options.knobs) {
    const res = await fetch(`${options.api}/api/v1/admin/simulator`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.adminToken ?? ''}` },
      body: JSON.stringify(options.knobs),
    });
    if (!res.ok) throw new Error(`could not set the simulator knobs: HTTP ${res.status} ${await res.text()}`);
  }

  // One step of a virtual user's life; the mix keeps every route and a few error paths busy.
  async function step(i: number): Promise<void> {
    const user = users[i % Math.max(1, users.length)];
    if (!user || (users.length < options.concurrency * 2 && i % 5 === 0)) {
      const email = `traffic-${randomBytes(5).toString('hex')}@example.com`;
      if ((await call('POST', '/api/v1/auth/register', { email, password })).status === 201) users.push({ email, projects: [] });
      return;
    }
    if (!user.token || i % 29 === 0) {
      user.token = (await call('POST', '/api/v1/auth/login', { email: user.email, password })).json?.access_token;
      return;
    }
    switch (i % 10) {
      case 0:
        // An unknown account: a failed login all the same, without locking the generator's own users
        // (their lockout turned most of a long run into 429s).
        await call('POST', '/api/v1/auth/login', { email: `nobody-${randomBytes(4).toString('hex')}@example.com`, password: 'a wrong password' });
        return;
      case 1:
        await call('GET', `/no-such-route/${i}`);
        return;
      case 2:
      case 3: {
        if (user.projects.length >= 2) break;
        const res = await call('POST', '/api/v1/projects', { name: `demo ${i}`, description: 'A todo list web app with a REST API and a database' }, user.token);
        if (res.status === 202) {
          user.projects.push(res.json.id);
          summary.projectsCreated++;
        }
        return;
      }
    }
    const project = user.projects[i % Math.max(1, user.projects.length)];
    await call('GET', project ? `/api/v1/projects/${project}` : '/api/v1/projects', undefined, user.token);
  }

  let next = 0;
  async function worker(): Promise<void> {
    while (next < options.requests && Date.now() < deadline) await step(next++);
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return summary;
}

function bounded(value: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new RangeError(`--${name} must be a number from ${min} to ${max}`);
  return n;
}

/** `traffic`: the arguments after the command name in, the exit code out. */
export const trafficCommand = defineCommand({
  name: 'traffic',
  usage: USAGE,
  options: {
    api: { type: 'string' },
    requests: { type: 'string' },
    seconds: { type: 'string' },
    concurrency: { type: 'string' },
    'llm-error-rate': { type: 'string' },
    'llm-latency-ms': { type: 'string' },
  },
  async action({ values, env, io, usageError, fail }) {
    let options: TrafficOptions;
    try {
      const knobs: TrafficOptions['knobs'] = {};
      if (values['llm-error-rate'] !== undefined) knobs.errorRate = bounded(values['llm-error-rate'], 0, 0, 1, 'llm-error-rate');
      if (values['llm-latency-ms'] !== undefined) knobs.latencyMs = bounded(values['llm-latency-ms'], 0, 0, 600_000, 'llm-latency-ms');
      options = {
        api: (values.api ?? `http://127.0.0.1:${env.API_PORT ?? 8000}`).replace(/\/+$/, ''),
        requests: bounded(values.requests, 300, 1, 100_000, 'requests'),
        seconds: bounded(values.seconds, 60, 1, 3600, 'seconds'),
        concurrency: bounded(values.concurrency, 4, 1, 64, 'concurrency'),
        adminToken: env.ADMIN_TOKEN,
        ...(Object.keys(knobs).length ? { knobs } : {}),
      };
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      return usageError(err.message);
    }
    try {
      const summary = await runTraffic(options);
      io.out(`${summary.requests} requests, ${summary.projectsCreated} projects created; by status: ${JSON.stringify(summary.byStatus)}`);
      return summary.byStatus['no-answer'] ? 1 : 0;
    } catch (err) {
      return fail((err as Error).message);
    }
  },
});
