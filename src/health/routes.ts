/**
 * `GET /health` answers what a load balancer, compose's healthcheck and the blackbox probe need to
 * know: can this instance serve users? 503 when the database is unavailable (every user route
 * needs it); 200 `degraded` when only Redis is (the rate limiter fails open and users are
 * served; RedisDown reports it); 200 `ok` otherwise. The checks name each dependency.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.ts';

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

/** Registers `/health`. */
export function healthRoutes(deps: { db: Pick<Database, 'query'>; redis: Redis }) {
  const { db, redis } = deps;
  return async (app: FastifyInstance) => {
    // Probe traffic: counted apart from user requests (src/metrics/http.ts).
    app.get('/health', { config: { traffic: 'internal' } }, async (_request, reply) => {
      const [dbStatus, redisStatus] = await Promise.all([check(() => db.query('SELECT 1')), check(() => redis.ping())]);
      const status = dbStatus !== 'ok' ? 'unavailable' : redisStatus !== 'ok' ? 'degraded' : 'ok';
      return reply.code(status === 'unavailable' ? 503 : 200).send({ status, checks: { db: dbStatus, redis: redisStatus } });
    });
  };
}
