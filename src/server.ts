/**
 * The API process: validate the configuration (one line naming the bad variable, exit 1, before
 * anything listens), migrate, resume interrupted generations, listen, and shut down gracefully
 * on SIGTERM/SIGINT — stop accepting, finish in-flight requests, close the pools.
 */
import 'dotenv/config';
import { buildApp, closeDependencies, createDependencies, type Dependencies } from './app.ts';
import { apiSchema, ConfigError, parseEnv, type ApiConfig } from './config.ts';
import { migrate } from './db/migrate.ts';

let config: ApiConfig;
let deps: Dependencies;
try {
  config = parseEnv(apiSchema);
  deps = createDependencies(config);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

const { logger, db, redis } = deps;
const { app, generator } = buildApp(deps);

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'shutting down');
  const force = setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, 20_000);
  force.unref();
  await app.close();
  await generator.close();
  await closeDependencies(deps);
  logger.info('stopped');
  process.exit(0);
}

try {
  await redis.connect().catch((err: Error) => logger.warn({ err: err.message }, 'Redis unavailable at start; rate limiting fails open until it returns'));
  const applied = await migrate(db);
  if (applied.length) logger.info({ applied }, 'database migrated');
  const resumed = await generator.resumeUnfinished();
  if (resumed) logger.info({ resumed }, 'resumed interrupted project generations');
  await app.listen({ host: config.API_HOST, port: config.API_PORT });
  logger.info({ host: config.API_HOST, port: config.API_PORT, llm_provider: deps.llm.provider }, 'Samokoder API listening');
} catch (err) {
  logger.error({ err: (err as Error).message }, 'failed to start');
  await closeDependencies(deps);
  process.exit(1);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown(signal));
