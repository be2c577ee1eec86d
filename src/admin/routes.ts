/**
 * Operator routes, registered only when ADMIN_TOKEN is set: `PUT /api/v1/admin/simulator`
 * changes the LLM simulator's latency and error rate at run time, so `traffic` can drive the
 * LLM alerts and dashboards in a demo.
 */
import type { FastifyInstance } from 'fastify';
import { hasBearer } from '../bearer.ts';
import { AppError } from '../errors.ts';
import type { LlmClient } from '../llm/types.ts';

const knobsSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    latencyMs: { type: 'integer', minimum: 0, maximum: 600_000 },
    errorRate: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const;

/** Registers the admin routes guarded by `token`. */
export function adminRoutes(deps: { token: string; llm: LlmClient }) {
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      if (!hasBearer(request, deps.token)) throw new AppError(401, 'unauthorized', 'The admin token is required.', { 'WWW-Authenticate': 'Bearer' });
    });
    app.put<{ Body: { latencyMs?: number; errorRate?: number } }>('/api/v1/admin/simulator', { schema: { body: knobsSchema }, config: { traffic: 'internal' } }, async (request) => {
      const simulator = deps.llm.simulator;
      if (!simulator) throw new AppError(409, 'not_simulator', `The LLM provider is ${deps.llm.provider}, not the simulator.`);
      simulator.setKnobs(request.body);
      return simulator.knobs();
    });
  };
}
