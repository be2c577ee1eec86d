/**
 * Builds the Samokoder API: its dependencies from the validated configuration, then the Fastify
 * app from plugins — body parsing, error handling and HTTP metrics first, then the features.
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { adminRoutes } from './admin/routes.ts';
import { authenticator } from './auth/authenticate.ts';
import { authRoutes } from './auth/routes.ts';
import { createTokens } from './auth/tokens.ts';
import { createUsers } from './auth/users.ts';
import type { ApiConfig } from './config.ts';
import { createDatabase, type Database } from './db/database.ts';
import { AppError, installErrorHandler } from './errors.ts';
import { healthRoutes } from './health/routes.ts';
import { createLlmClient, resolveLlmSettings } from './llm/index.ts';
import { estimateComplexity, generateProjectFiles } from './llm/pipeline.ts';
import type { LlmClient } from './llm/types.ts';
import { instrumentHttp } from './metrics/http.ts';
import { createMetrics, type Metrics } from './metrics/registry.ts';
import { metricsRoute } from './metrics/route.ts';
import { createGenerator, type Generator } from './projects/generator.ts';
import { projectRoutes } from './projects/routes.ts';
import { createProjects, DEFAULT_CLAIM_MS } from './projects/repository.ts';
import { createRateLimiter } from './ratelimit/limiter.ts';
import { VERSION } from './version.ts';

/** Largest accepted request body: project descriptions are the biggest legitimate input. */
const BODY_LIMIT = 64 * 1024;

/** Everything the app talks to; built by {@link createDependencies}, replaceable in tests. */
export interface Dependencies {
  config: ApiConfig;
  logger: Logger;
  metrics: Metrics;
  db: Database;
  redis: Redis;
  llm: LlmClient;
}

/**
 * Creates the logger, metrics, database pool, Redis client and LLM client from `config`.
 * Throws `ConfigError` for an unusable LLM setting (e.g. a provider without its key).
 */
export function createDependencies(config: ApiConfig, logger?: Logger): Dependencies {
  const log =
    logger ??
    pino({
      level: config.LOG_LEVEL,
      base: { service: 'samokoder-api' },
      redact: { paths: ['*.authorization', '*.password', '*.access_token', '*.headers.authorization'], censor: '[redacted]' },
    });
  const { provider, model } = resolveLlmSettings(config);
  const metrics = createMetrics({
    version: VERSION,
    environment: config.SAMOKODER_ENV,
    llm: { provider, model },
    llmTokenBudgetPerHour: config.LLM_TOKEN_BUDGET_PER_HOUR,
    diskPaths: config.DISK_PATHS,
  });
  const llm = createLlmClient(config, metrics, log);
  const db = createDatabase({ url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX, timeoutMs: config.DB_TIMEOUT_MS }, metrics);
  // No offline queue: while Redis is down a command fails at once and the limiter fails open.
  const redis = new Redis(config.REDIS_URL, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: config.REDIS_TIMEOUT_MS,
    connectTimeout: config.REDIS_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: true,
  });
  redis.on('error', () => undefined); // reported through /health, RedisDown and the limiter's counter
  return { config, logger: log, metrics, db, redis, llm };
}

/** Closes the pool and the Redis connection; never hangs on a server that is already gone. */
export async function closeDependencies(deps: Pick<Dependencies, 'db' | 'redis'>): Promise<void> {
  const quit = deps.redis.status === 'ready' ? deps.redis.quit().catch(() => undefined) : Promise.resolve();
  await Promise.allSettled([deps.db.close(), Promise.race([quit, new Promise((r) => setTimeout(r, 1_000))])]);
  deps.redis.disconnect();
}

/** Parses JSON bodies, rejecting invalid UTF-8 instead of silently replacing it. */
function installJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) return done(new AppError(400, 'invalid_utf8', 'The request body is not valid UTF-8.'), undefined);
    parseJson(request, bytes.toString('utf8'), (err, value) => {
      if (err) return done(new AppError(400, 'invalid_json', `The request body is not valid JSON: ${err.message}`), undefined);
      done(null, value);
    });
  });
}

/** Builds the Fastify app and the background generator over `deps`. Call `listen` or `inject` next. */
export function buildApp(deps: Dependencies): { app: FastifyInstance; generator: Generator } {
  const { config, logger, metrics, db, redis, llm } = deps;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request log lines would cost more than the metrics that already count every request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    trustProxy: config.TRUST_PROXY,
    // Slow clients are cut off instead of holding sockets forever; Node checks every 2 s.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: 2 * config.REQUEST_TIMEOUT_MS,
    http: { connectionsCheckingInterval: 2_000, headersTimeout: config.REQUEST_TIMEOUT_MS },
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  app.decorateRequest('userId', null);
  installJsonParser(app);
  installErrorHandler(app);
  instrumentHttp(app, metrics.http);

  const users = createUsers(db);
  // A new instance id per process: a restarted API takes over its predecessor's released claims.
  const projects = createProjects(db, { instance: randomUUID(), claimMs: DEFAULT_CLAIM_MS });
  const tokens = createTokens(config.JWT_SECRET, config.JWT_TTL_SECONDS);
  const limiter = createRateLimiter(
    redis,
    { anonymous: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE, user: config.RATE_LIMIT_USER_PER_MINUTE, login: config.RATE_LIMIT_LOGIN_PER_MINUTE },
    metrics,
    logger,
  );
  limiter.declareRoutes(app);
  const generator = createGenerator({ projects, llm, generate: generateProjectFiles, metrics, log: logger, concurrency: config.GENERATION_CONCURRENCY });

  app.register(metricsRoute({ registry: metrics.registry, token: config.METRICS_TOKEN }));
  app.register(healthRoutes({ db, redis }));
  app.register(authRoutes({ users, tokens, limiter, metrics }));
  if (config.ADMIN_TOKEN) app.register(adminRoutes({ token: config.ADMIN_TOKEN, llm }));
  app.register(projectRoutes({ projects, generator, estimateComplexity, authenticate: authenticator(tokens), limiter, metrics }));
  return { app, generator };
}
