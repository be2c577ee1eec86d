/**
 * Fixed-window rate limits kept in Redis: per IP for anonymous routes, per user for
 * authenticated ones, and a stricter per-IP limit on login.
 *
 * When Redis is unavailable the limiter fails open: requests pass, each one is counted in
 * `samokoder_rate_limit_degraded_total`, and a warning is logged at most every 10 s. Availability
 * of the API matters more than throttling for the minutes Redis is down; brute force on login
 * stays bounded by the account lockout kept in PostgreSQL, and RedisDown pages the operator.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import { UNMATCHED_ENDPOINT, type RateLimitType } from '../metrics/catalogue.ts';
import type { Metrics } from '../metrics/registry.ts';

const WINDOW_MS = 60_000;
const DEGRADED_LOG_INTERVAL_MS = 10_000;

// INCR and set the window's expiry atomically; return the count and the window's remaining ms.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}`;

/** Requests per minute for each limit type. */
export type RateLimits = Record<RateLimitType, number>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` on authenticated routes. */
    userId: string | null;
  }
}

/** Creates the limiter; `guard(type)` is the onRequest hook a route uses. */
export function createRateLimiter(
  redis: Redis,
  limits: RateLimits,
  metrics: Pick<Metrics, 'declareRateLimit' | 'recordRateLimitHit' | 'recordRateLimitDegraded'>,
  log: Logger,
) {
  let lastDegradedLog = 0;
  /** The limit type of each guard handed out, to find the guarded routes. */
  const guards = new WeakMap<object, RateLimitType>();

  async function hit(key: string): Promise<[number, number] | undefined> {
    try {
      return (await redis.eval(HIT_SCRIPT, 1, key, WINDOW_MS)) as [number, number];
    } catch (err) {
      metrics.recordRateLimitDegraded();
      const now = Date.now();
      if (now - lastDegradedLog > DEGRADED_LOG_INTERVAL_MS) {
        lastDegradedLog = now;
        log.warn({ err: (err as Error).message }, 'rate limiter degraded: Redis unavailable, letting requests through');
      }
      return undefined;
    }
  }

  return {
    /** A hook enforcing the `type` limit on the request's IP (or user, for `user`). */
    guard(type: RateLimitType): onRequestAsyncHookHandler {
      const limit = limits[type];
      const hook = async function rateLimit(request: FastifyRequest, reply: FastifyReply) {
        const subject = type === 'user' ? request.userId : request.ip;
        const result = await hit(`rl:${type}:${subject}`);
        if (!result) return;
        const [count, ttlMs] = result;
        const resetSeconds = Math.max(1, Math.ceil(ttlMs / 1000));
        reply.header('X-RateLimit-Limit', limit);
        reply.header('X-RateLimit-Remaining', Math.max(0, limit - count));
        reply.header('X-RateLimit-Reset', resetSeconds);
        if (count > limit) {
          metrics.recordRateLimitHit(request.routeOptions.url ?? UNMATCHED_ENDPOINT, type);
          throw new AppError(429, 'rate_limited', `Too many requests; retry in ${resetSeconds} s.`, { 'Retry-After': resetSeconds });
        }
      };
      guards.set(hook, type);
      return hook;
    },
    /** From now on, every route of `app` with one of these guards gets its hit series at 0 (the first 429 then moves `rate()`). */
    declareRoutes(app: FastifyInstance): void {
      app.addHook('onRoute', (route) => {
        for (const hook of [route.onRequest ?? []].flat()) {
          const type = guards.get(hook);
          if (type) metrics.declareRateLimit(route.url, type);
        }
      });
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
