/**
 * A real Samokoder API for tests: its own PostgreSQL and Redis, migrated, listening on a free
 * loopback port, built by the same `createDependencies`/`buildApp` as the server.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp, closeDependencies, createDependencies, type Dependencies } from '../../src/app.ts';
import { apiSchema, parseEnv } from '../../src/config.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { Generator } from '../../src/projects/generator.ts';
import { testPostgres, testRedis } from './services.ts';

/** A running test API. */
export interface TestApi {
  url: string;
  app: FastifyInstance;
  deps: Dependencies;
  generator: Generator;
  /** Stop Redis or PostgreSQL in fault tests through these. */
  postgres: Awaited<ReturnType<typeof testPostgres>>;
  redis: Awaited<ReturnType<typeof testRedis>>;
  /** JSON request helper: returns status, headers and parsed body. */
  request(method: string, path: string, options?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>;
  /** Registers and logs in a fresh user; returns its email and token. */
  user(): Promise<{ email: string; token: string }>;
  /** One metric's exposition text. */
  metric(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts a test API; `env` overrides configuration (e.g. simulator latency, rate limits). */
export async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const [postgres, redis] = await Promise.all([testPostgres(), testRedis()]);
  const config = parseEnv(apiSchema, {
    DATABASE_URL: postgres.databaseUrl,
    REDIS_URL: redis.redisUrl,
    JWT_SECRET: randomBytes(32).toString('hex'),
    SAMOKODER_ENV: 'test',
    SIMULATOR_LATENCY_MS: '20',
    DB_TIMEOUT_MS: '2000',
    ...env,
  });
  const deps = createDependencies(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  await deps.redis.connect();
  await migrate(deps.db);
  const { app, generator } = buildApp(deps);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const api: TestApi = {
    url,
    app,
    deps,
    generator,
    postgres,
    redis,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.body !== undefined) headers['content-type'] ??= 'application/json';
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      const body = options.body === undefined ? undefined : typeof options.body === 'string' || options.body instanceof Uint8Array ? options.body : JSON.stringify(options.body);
      const res = await fetch(url + path, { method, headers, body: body as BodyInit | undefined });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (e.g. /metrics)
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
    async user() {
      const email = `user-${randomBytes(6).toString('hex')}@example.com`;
      const password = 'correct horse battery';
      const reg = await api.request('POST', '/api/v1/auth/register', { body: { email, password } });
      if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
      const login = await api.request('POST', '/api/v1/auth/login', { body: { email, password } });
      if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
      return { email, token: login.body.access_token as string };
    },
    async metric(name) {
      return deps.metrics.registry.getSingleMetricAsString(name);
    },
    async close() {
      await app.close();
      await generator.close(1_000);
      await closeDependencies(deps);
      await Promise.allSettled([postgres.stop(), redis.stop()]);
    },
  };
  return api;
}

/** The value of the sample of `text` (exposition of one metric) whose labels include all of `labels`. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const m of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found[m[1] as string] = m[2] as string;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}
