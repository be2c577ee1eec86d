/**
 * `POST /api/v1/projects` (202, generation in the background), `GET /api/v1/projects` and
 * `GET /api/v1/projects/:id`, all for the authenticated user only.
 */
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { AppError } from '../errors.ts';
import type { Complexity } from '../domain.ts';
import type { Metrics } from '../metrics/registry.ts';
import type { RateLimiter } from '../ratelimit/limiter.ts';
import type { Generator } from './generator.ts';
import type { Projects } from './repository.ts';

const createSchema = {
  type: 'object',
  required: ['name', 'description'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    description: { type: 'string', minLength: 1, maxLength: 4000 },
  },
} as const;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

/** Registers the project routes. */
export function projectRoutes(deps: {
  projects: Projects;
  generator: Generator;
  estimateComplexity: (description: string) => Complexity;
  authenticate: onRequestAsyncHookHandler;
  limiter: RateLimiter;
  metrics: Pick<Metrics, 'recordProjectCreated'>;
}) {
  const { projects, generator, metrics } = deps;
  const guards = [deps.authenticate, deps.limiter.guard('user')];
  return async (app: FastifyInstance) => {
    app.post<{ Body: { name: string; description: string } }>('/api/v1/projects', { schema: { body: createSchema }, onRequest: guards }, async (request, reply) => {
      const { name, description } = request.body;
      const result = await projects.create(request.userId as string, { name, description, complexity: deps.estimateComplexity(description) });
      if (!result.created) {
        if (result.reason === 'no_user') throw new AppError(401, 'unauthorized', 'The account of this token no longer exists.');
        throw new AppError(402, 'quota_exceeded', `The ${result.tier} tier allows ${result.quota} projects per month; upgrade to create more.`);
      }
      metrics.recordProjectCreated(result.tier);
      generator.enqueue(result.project);
      return reply.code(202).send({ id: result.project.id, status: result.project.status });
    });

    app.get('/api/v1/projects', { onRequest: guards }, async (request) => ({ projects: await projects.list(request.userId as string) }));

    app.get<{ Params: { id: string } }>('/api/v1/projects/:id', { schema: { params: idParams }, onRequest: guards }, async (request) => {
      const project = await projects.get(request.userId as string, request.params.id);
      if (!project) throw new AppError(404, 'not_found', 'No such project.');
      const { id, name, status, files, error } = project;
      return { id, name, status, ...(files ? { files } : {}), ...(error ? { error } : {}) };
    });
  };
}
