/**
 * Builds the prom-client objects of the catalogue into one registry per API instance and exposes
 * the small typed helpers features call. Features never touch prom-client or label strings.
 *
 * Scrape-time values (system, DB pool) are `collect()` callbacks: the request path only increments.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  AUTH_RESULTS,
  DB_ERROR_TYPES,
  DB_OPERATIONS,
  LLM_ERROR_TYPES,
  TOKEN_TYPES,
  catalogue,
  type AuthResult,
  type DbErrorType,
  type DbOperation,
  type LlmErrorType,
  type MetricKey,
  type RateLimitType,
} from './catalogue.ts';
import { COMPLEXITIES, LLM_AGENTS, USER_TIERS, type Complexity, type LlmAgent, type LlmProviderName, type UserTier } from '../domain.ts';
import { CellCounter, CellGauge, CellHistogram } from './cells.ts';
import { collectProcessMetrics } from './process.ts';
import { systemCollectors } from './system.ts';

/** What the registry needs to know at start to initialise label sets and info values. */
export interface MetricsOptions {
  version: string;
  environment: string;
  /** The configured LLM provider and model: their series exist from the start. */
  llm: { provider: LlmProviderName; model: string };
  llmTokenBudgetPerHour: number;
  diskPaths: readonly string[];
}

/** Pool counters read at scrape time (the shape of `pg.Pool`). */
export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** One finished LLM request attempt, as {@link Metrics.recordLlmCall} records it. */
export interface LlmCallRecord {
  provider: LlmProviderName;
  model: string;
  agent: LlmAgent;
  seconds: number;
  promptTokens?: number;
  completionTokens?: number;
  /** Set when the attempt failed. */
  errorType?: LlmErrorType;
}

function counter(key: MetricKey, registry: Registry) {
  const def = catalogue[key];
  return new Counter({ name: def.name, help: def.help, labelNames: def.labelNames, registers: [registry] });
}

function gauge(key: MetricKey, registry: Registry, collect?: (this: Gauge) => void) {
  const def = catalogue[key];
  return new Gauge({ name: def.name, help: def.help, labelNames: def.labelNames, registers: [registry], ...(collect ? { collect } : {}) });
}

function histogram(key: MetricKey, registry: Registry) {
  const def = catalogue[key] as { name: string; help: string; labelNames: readonly string[]; buckets: readonly number[] };
  return new Histogram({ name: def.name, help: def.help, labelNames: def.labelNames, buckets: [...def.buckets], registers: [registry] });
}

/** Creates the registry and every Samokoder metric in it. */
export function createMetrics(options: MetricsOptions) {
  const registry = new Registry();
  collectProcessMetrics(registry);

  let pool: PoolStats | undefined;
  const poolGauge = (read: (p: PoolStats) => number) =>
    function (this: Gauge) {
      if (pool) this.set(read(pool));
    };

  // The request path's metrics are pre-bound cells (src/metrics/cells.ts), not prom-client objects.
  const { httpRequestsTotal: total, httpRequestDuration: duration, httpRequestsInProgress: inProgress, httpInternalRequests: internal } = catalogue;
  const http = {
    requests: new CellCounter(total.name, total.help, total.labelNames, registry),
    duration: new CellHistogram(duration.name, duration.help, duration.labelNames, duration.buckets, registry),
    inProgress: new CellGauge(inProgress.name, inProgress.help, inProgress.labelNames, registry),
    internal: new CellCounter(internal.name, internal.help, internal.labelNames, registry),
  };
  const projectsCreated = counter('projectsCreated', registry);
  const generationDuration = histogram('projectsGenerationDuration', registry);
  const llmRequests = counter('llmRequests', registry);
  const llmErrors = counter('llmRequestErrors', registry);
  const llmTokens = counter('llmTokensConsumed', registry);
  const llmDuration = histogram('llmRequestDuration', registry);
  const dbDuration = histogram('dbQueryDuration', registry);
  const dbErrors = counter('dbErrors', registry);
  const rateLimitHits = counter('rateLimitHits', registry);
  const rateLimitDegraded = counter('rateLimitDegraded', registry);
  const authAttempts = counter('authAttempts', registry);

  gauge('dbConnectionsActive', registry, poolGauge((p) => p.totalCount - p.idleCount));
  gauge('dbConnectionsIdle', registry, poolGauge((p) => p.idleCount));
  gauge('dbConnectionsWaiting', registry, poolGauge((p) => p.waitingCount));
  gauge('llmTokenBudget', registry).set(options.llmTokenBudgetPerHour);
  gauge('appInfo', registry).set({ version: options.version, environment: options.environment }, 1);
  const system = systemCollectors(options.diskPaths);
  gauge('systemCpuUsage', registry, system.cpu);
  gauge('systemMemoryUsage', registry, system.memory);
  gauge('systemDiskUsage', registry, system.disk);
  gauge('systemDiskReadable', registry, system.diskReadable);

  // Every label set known in advance exists from the start at 0: a series born with its first
  // event hides that event from rate(), and alerts divide by these or test them for absence.
  // (HTTP series are declared per route by src/metrics/http.ts, rate-limit hits per guarded route.)
  const { provider, model } = options.llm;
  for (const tier of USER_TIERS) projectsCreated.inc({ user_tier: tier }, 0);
  for (const complexity of COMPLEXITIES) generationDuration.zero({ complexity });
  for (const agent of LLM_AGENTS) llmRequests.inc({ provider, model, agent }, 0);
  for (const errorType of LLM_ERROR_TYPES) llmErrors.inc({ provider, error_type: errorType }, 0);
  for (const tokenType of TOKEN_TYPES) llmTokens.inc({ provider, model, token_type: tokenType }, 0);
  llmDuration.zero({ provider, model });
  for (const operation of DB_OPERATIONS) dbDuration.zero({ operation });
  for (const errorType of DB_ERROR_TYPES) dbErrors.inc({ error_type: errorType }, 0);
  for (const result of AUTH_RESULTS) authAttempts.inc({ result }, 0);

  return {
    registry,
    /** The HTTP metric objects, for the HTTP instrumentation plugin only. */
    http,
    /** Reads pool counters at scrape time from now on. */
    watchPool(stats: PoolStats): void {
      pool = stats;
    },
    recordProjectCreated(tier: UserTier): void {
      projectsCreated.inc({ user_tier: tier });
    },
    observeGeneration(complexity: Complexity, seconds: number): void {
      generationDuration.observe({ complexity }, seconds);
    },
    recordLlmCall(call: LlmCallRecord): void {
      const { provider: p, model: m, agent } = call;
      llmRequests.inc({ provider: p, model: m, agent });
      llmDuration.observe({ provider: p, model: m }, call.seconds);
      if (call.promptTokens) llmTokens.inc({ provider: p, model: m, token_type: 'prompt' }, call.promptTokens);
      if (call.completionTokens) llmTokens.inc({ provider: p, model: m, token_type: 'completion' }, call.completionTokens);
      if (call.errorType) llmErrors.inc({ provider: p, error_type: call.errorType });
    },
    observeDbQuery(operation: DbOperation, seconds: number): void {
      dbDuration.observe({ operation }, seconds);
    },
    recordDbError(errorType: DbErrorType): void {
      dbErrors.inc({ error_type: errorType });
    },
    /** Creates the hit series of a route guarded by a `limitType` limit, at 0. */
    declareRateLimit(endpoint: string, limitType: RateLimitType): void {
      rateLimitHits.inc({ endpoint, limit_type: limitType }, 0);
    },
    recordRateLimitHit(endpoint: string, limitType: RateLimitType): void {
      rateLimitHits.inc({ endpoint, limit_type: limitType });
    },
    recordRateLimitDegraded(): void {
      rateLimitDegraded.inc();
    },
    recordAuthAttempt(result: AuthResult): void {
      authAttempts.inc({ result });
    },
  };
}

/** The metrics of one API instance. */
export type Metrics = ReturnType<typeof createMetrics>;
