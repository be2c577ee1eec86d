/**
 * `GET /health` (database and Redis checks, 503 naming what failed) and `GET /metrics`
 * (Prometheus text format, optionally behind a Bearer token).
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Database } from '../db/database.ts';
import { hasBearer } from '../auth/bearer.ts';
import { AppError } from '../errors.ts';
import { renderMetrics } from '../metrics/exposition.ts';

const CHECK_TIMEOUT_MS = 2_000;

async function check(probe: () => Promise<unknown>): Promise<'ok' | 'unavailable'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch {
    return 'unavailable';
  } finally {
    clearTimeout(timer);
  }
}

/** Registers `/health` and `/metrics`. */
export function healthRoutes(deps: { db: Pick<Database, 'query'>; redis: Redis; registry: Registry; metricsToken?: string }) {
  const { db, redis, registry, metricsToken } = deps;
  return async (app: FastifyInstance) => {
    // Probe and scrape traffic: counted apart from user requests (src/metrics/http.ts).
    app.get('/health', { config: { traffic: 'internal' } }, async (_request, reply) => {
      const [dbStatus, redisStatus] = await Promise.all([check(() => db.query('SELECT 1')), check(() => redis.ping())]);
      const healthy = dbStatus === 'ok' && redisStatus === 'ok';
      return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable', checks: { db: dbStatus, redis: redisStatus } });
    });

    app.get('/metrics', { config: { traffic: 'internal' } }, async (request, reply) => {
      if (metricsToken && !hasBearer(request, metricsToken)) {
        throw new AppError(401, 'unauthorized', 'A valid Bearer token is required for /metrics.', { 'WWW-Authenticate': 'Bearer' });
      }
      // Time-sliced: a large registry never holds the event loop for long (src/metrics/exposition.ts).
      return reply.type(registry.contentType).send(await renderMetrics(registry));
    });
  };
}
