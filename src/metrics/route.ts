/**
 * `GET /metrics`: the registry in Prometheus' text format, optionally behind a Bearer token
 * (METRICS_TOKEN). Scrapes are counted as internal traffic, never as user requests.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { hasBearer } from '../bearer.ts';
import { AppError } from '../errors.ts';
import { renderMetrics } from './exposition.ts';

/** Registers `/metrics` over `registry`; with `token`, only for `Authorization: Bearer <token>`. */
export function metricsRoute(deps: { registry: Registry; token?: string }) {
  const { registry, token } = deps;
  return async (app: FastifyInstance) => {
    app.get('/metrics', { config: { traffic: 'internal' } }, async (request, reply) => {
      if (token && !hasBearer(request, token)) {
        throw new AppError(401, 'unauthorized', 'A valid Bearer token is required for /metrics.', { 'WWW-Authenticate': 'Bearer' });
      }
      // Time-sliced: a large registry never holds the event loop for long (src/metrics/exposition.ts).
      return reply.type(registry.contentType).send(await renderMetrics(registry));
    });
  };
}
