/**
 * The metric catalogue: every metric Samokoder exports, defined once — name, help, type, labels,
 * the fixed values each label may take, and histogram buckets.
 *
 * Rules, dashboards and docs are checked against this file by tests, so a name that is not here
 * cannot be queried anywhere. Label values are route templates or the small enums below (the
 * product's own vocabularies come from src/domain.ts), never ids, emails or free text (see
 * `docs/metrics.md`).
 */

/** HTTP methods kept as label values; anything else is counted as {@link OTHER_METHOD}. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const OTHER_METHOD = 'OTHER';
/** The one `endpoint` value shared by every request that matched no route. */
export const UNMATCHED_ENDPOINT = 'unmatched';
/**
 * `status` of a request whose connection closed before the API answered: the client or the proxy
 * gave up (nginx's "client closed request"). For the user that request failed.
 */
export const ABANDONED_STATUS = 499;
/**
 * The failure statuses every user route can end with: abandoned, and the 5xx the API itself
 * answers (500 unexpected error, 503 database unavailable or shutting down). Each route's series
 * of these exist at 0 from the start, so the first failure after a start moves `rate()`.
 */
export const FAILURE_STATUSES = [ABANDONED_STATUS, 500, 503] as const;

export const LLM_ERROR_TYPES = [
  'timeout',
  'rate_limited',
  'server_error',
  'auth',
  'bad_request',
  'invalid_response',
  'connection',
  'other',
] as const;
export type LlmErrorType = (typeof LLM_ERROR_TYPES)[number];

export const TOKEN_TYPES = ['prompt', 'completion'] as const;

export const DB_OPERATIONS = ['select', 'insert', 'update', 'delete', 'other'] as const;
export type DbOperation = (typeof DB_OPERATIONS)[number];

export const DB_ERROR_TYPES = ['connection', 'timeout', 'constraint', 'query', 'other'] as const;
export type DbErrorType = (typeof DB_ERROR_TYPES)[number];

export const RATE_LIMIT_TYPES = ['anonymous', 'user', 'login'] as const;
export type RateLimitType = (typeof RATE_LIMIT_TYPES)[number];

export const AUTH_RESULTS = ['success', 'failure', 'locked'] as const;
export type AuthResult = (typeof AUTH_RESULTS)[number];

interface MetricDefinition {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
}

/** Every Samokoder metric. Keys are the names features and tests use; `name` is the exported name. */
export const catalogue = {
  httpRequestsTotal: {
    name: 'samokoder_http_requests_total',
    help: 'User HTTP requests answered (or abandoned before an answer: status 499), by method, route template and status code.',
    type: 'counter',
    labelNames: ['method', 'endpoint', 'status'],
  },
  httpRequestDuration: {
    name: 'samokoder_http_request_duration_seconds',
    help: 'User HTTP request duration in seconds, until the answer or until the connection closed, by method and route template.',
    type: 'histogram',
    labelNames: ['method', 'endpoint'],
    // Reaches well past the 5 s HighLatency threshold so the p95 is not capped at it.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  },
  httpRequestsInProgress: {
    name: 'samokoder_http_requests_in_progress',
    help: 'User HTTP requests being served right now, by method and route template.',
    type: 'gauge',
    labelNames: ['method', 'endpoint'],
  },
  httpInternalRequests: {
    name: 'samokoder_http_internal_requests_total',
    help: 'Probe, scrape and operator requests (/health, /metrics, admin routes), by method, route template and status; not user traffic.',
    type: 'counter',
    labelNames: ['method', 'endpoint', 'status'],
  },
  projectsCreated: {
    name: 'samokoder_projects_created_total',
    help: 'Projects accepted for generation, by the owner tier.',
    type: 'counter',
    labelNames: ['user_tier'],
  },
  projectsGenerationDuration: {
    name: 'samokoder_projects_generation_duration_seconds',
    help: 'Time from accepting a project to its generation finishing (ready or failed), by estimated complexity.',
    type: 'histogram',
    labelNames: ['complexity'],
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600],
  },
  llmRequests: {
    name: 'samokoder_llm_requests_total',
    help: 'LLM requests sent (each attempt, success or failure), by provider, model and agent.',
    type: 'counter',
    labelNames: ['provider', 'model', 'agent'],
  },
  llmRequestErrors: {
    name: 'samokoder_llm_request_errors_total',
    help: 'LLM requests that failed, by provider and error type.',
    type: 'counter',
    labelNames: ['provider', 'error_type'],
  },
  llmTokensConsumed: {
    name: 'samokoder_llm_tokens_consumed_total',
    help: 'LLM tokens consumed as reported by the provider, by provider, model and token type.',
    type: 'counter',
    labelNames: ['provider', 'model', 'token_type'],
  },
  llmRequestDuration: {
    name: 'samokoder_llm_request_duration_seconds',
    help: 'LLM request duration in seconds, by provider and model.',
    type: 'histogram',
    labelNames: ['provider', 'model'],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120],
  },
  llmTokenBudget: {
    name: 'samokoder_llm_token_budget_per_hour',
    help: 'Configured LLM token budget per hour (LLM_TOKEN_BUDGET_PER_HOUR), compared by LLMTokenBudgetExceeded.',
    type: 'gauge',
    labelNames: [],
  },
  dbQueryDuration: {
    name: 'samokoder_db_query_duration_seconds',
    help: 'Database query duration in seconds, by SQL operation.',
    type: 'histogram',
    labelNames: ['operation'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  dbErrors: {
    name: 'samokoder_db_errors_total',
    help: 'Database errors, by error type.',
    type: 'counter',
    labelNames: ['error_type'],
  },
  dbConnectionsActive: {
    name: 'samokoder_db_connections_active',
    help: 'Database pool connections checked out by a query right now.',
    type: 'gauge',
    labelNames: [],
  },
  dbConnectionsIdle: {
    name: 'samokoder_db_connections_idle',
    help: 'Database pool connections open and idle.',
    type: 'gauge',
    labelNames: [],
  },
  dbConnectionsWaiting: {
    name: 'samokoder_db_connections_waiting',
    help: 'Queries waiting for a free database pool connection.',
    type: 'gauge',
    labelNames: [],
  },
  systemCpuUsage: {
    name: 'samokoder_system_cpu_usage_percent',
    help: 'Host CPU usage in percent (all cores) since the previous scrape.',
    type: 'gauge',
    labelNames: [],
  },
  systemMemoryUsage: {
    name: 'samokoder_system_memory_usage_bytes',
    help: 'Host memory in bytes, by type (used, available, total).',
    type: 'gauge',
    labelNames: ['type'],
  },
  systemDiskUsage: {
    name: 'samokoder_system_disk_usage_bytes',
    help: 'Disk space in bytes of each configured data path, by type (used, free, total).',
    type: 'gauge',
    labelNames: ['path', 'type'],
  },
  systemDiskReadable: {
    name: 'samokoder_system_disk_readable',
    help: 'Whether the disk space of each configured data path could be read at this scrape (1) or not (0).',
    type: 'gauge',
    labelNames: ['path'],
  },
  rateLimitHits: {
    name: 'samokoder_rate_limit_hits_total',
    help: 'Requests refused by the rate limiter, by route template and limit type.',
    type: 'counter',
    labelNames: ['endpoint', 'limit_type'],
  },
  rateLimitDegraded: {
    name: 'samokoder_rate_limit_degraded_total',
    help: 'Requests let through without a rate-limit check because Redis was unavailable (fail-open).',
    type: 'counter',
    labelNames: [],
  },
  authAttempts: {
    name: 'samokoder_auth_attempts_total',
    help: 'Login attempts, by result (success, failure, locked).',
    type: 'counter',
    labelNames: ['result'],
  },
  appInfo: {
    name: 'samokoder_app_info',
    help: 'Always 1; labels carry the running version and environment.',
    type: 'gauge',
    labelNames: ['version', 'environment'],
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof catalogue;

/** Exported names of all catalogue metrics, with the series suffixes histograms and counters add. */
export function exportedSeriesNames(): Set<string> {
  const names = new Set<string>();
  for (const def of Object.values(catalogue) as MetricDefinition[]) {
    names.add(def.name);
    if (def.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(def.name + s);
  }
  return names;
}
