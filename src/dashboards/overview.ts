/**
 * The "Samokoder Overview" Grafana dashboard (the seed's panels, plus business, database,
 * exporter and SLO rows), generated into monitoring/grafana/dashboards/samokoder-overview.json
 * by `npm run dashboards`.
 *
 * Every ratio aggregates both sides before dividing, quantiles take `sum by (le, ...)`, memory and
 * disk divide with `ignoring (type)` (a ratio of series whose labels differ never matches otherwise). Panels of raw API metrics
 * follow the `instance` variable; the SLO row reads the job-level recording rules of
 * monitoring/prometheus/rules/slo.yml, the same series the SLO alerts use.
 */
import { ABANDONED_STATUS } from '../metrics/catalogue.ts';
import { gauge, layout, PROMETHEUS_UID, row, stat, timeseries, type PanelJson, type Step } from './grafana.ts';

/** Stable uid: links (alerts, docs) use /d/samokoder-overview. */
export const OVERVIEW_UID = 'samokoder-overview';

/**
 * Alert thresholds the panels draw, by alert name: `expr` of the alert compares with `op value`
 * (a test checks this against monitoring/prometheus/rules/).
 */
export const THRESHOLDS = {
  HighErrorRate: { op: '>', value: 0.05 },
  HighLatency: { op: '>', value: 5 },
  HighRateLimitHits: { op: '>', value: 10 },
  HighLLMErrorRate: { op: '>', value: 0.1 },
  HighLLMLatency: { op: '>', value: 30 },
  HighCPUUsage: { op: '>', value: 80 },
  HighMemoryUsage: { op: '>', value: 0.85 },
  LowDiskSpace: { op: '<', value: 0.1 },
  SlowDatabaseQueries: { op: '>', value: 1 },
  DatabaseErrors: { op: '>', value: 0.1 },
  AuthenticationFailureSpike: { op: '>', value: 0.5 },
} as const satisfies Record<string, { op: '>' | '<'; value: number }>;

/** The SLO targets of slo.yml: error budgets 0.1% (availability) and 5% (latency over 0.5 s). */
const AVAILABILITY_BUDGET = 0.001;
const LATENCY_BUDGET = 0.05;
/** Error budget left: red when spent, orange below a quarter. */
const BUDGET_STEPS: Step[] = [
  { value: 0, color: 'orange' },
  { value: 0.25, color: 'green' },
];
/** The page threshold of the fast-burn SLO alerts. */
const FAST_BURN = 14.4;

const red = (value: number): Step[] => [{ value, color: 'red' }];

/** A stat panel of the share of a 30-day error budget still unspent. */
const budgetLeft = (title: string, description: string, expr: string): PanelJson =>
  stat({ title, description, queries: [{ expr, legend: 'budget left' }], unit: 'percentunit', decimals: 1, baseColor: 'red', steps: BUDGET_STEPS, w: 5, h: 5 });

/** A stat panel showing a 0/1 health series as DOWN/UP. */
const upDown = (title: string, description: string, expr: string, legend: string): PanelJson =>
  stat({
    title,
    description,
    queries: [{ expr, legend }],
    unit: 'none',
    mappings: [
      { value: 1, text: 'UP', color: 'green' },
      { value: 0, text: 'DOWN', color: 'red' },
    ],
    steps: [],
    w: 4,
    h: 5,
  });
/** Label filter of the `instance` variable. */
const I = 'instance=~"$instance"';
const RI = '$__rate_interval';
/** A user request that failed: answered 5xx, or abandoned before an answer (the availability SLI's "bad"). */
const FAILED = `status=~"5..|${ABANDONED_STATUS}"`;
const ABANDONED = `status ${ABANDONED_STATUS}: the client or the proxy gave up`;
const api = (metric: string, extra = '') => `${metric}{job="samokoder-api", ${I}${extra ? `, ${extra}` : ''}}`;

function panels(): PanelJson[] {
  return [
    row('Overview'),
    upDown('API Health', 'Whether Prometheus can scrape each API instance (APIDown fires after 1 minute down).', `up{job="samokoder-api", ${I}}`, '{{instance}}'),
    stat({
      title: 'Error Rate (5xx + 499)',
      description: `Share of user requests that failed over the last 5 minutes, all endpoints: answered 5xx, or abandoned before an answer (${ABANDONED}) (HighErrorRate: above 5% for 5 minutes).`,
      queries: [
        {
          expr: `(sum(rate(${api('samokoder_http_requests_total', FAILED)}[5m])) or vector(0)) / sum(rate(${api('samokoder_http_requests_total')}[5m]))`,
          legend: 'failed',
        },
      ],
      unit: 'percentunit',
      decimals: 2,
      steps: red(THRESHOLDS.HighErrorRate.value),
      w: 4,
      h: 5,
    }),
    stat({
      title: 'API Latency (p95)',
      description: '95th percentile of request duration over the last 5 minutes, all endpoints (HighLatency: above 5 s for 10 minutes).',
      queries: [{ expr: `histogram_quantile(0.95, sum by (le) (rate(${api('samokoder_http_request_duration_seconds_bucket')}[5m])))`, legend: 'p95' }],
      unit: 's',
      steps: red(THRESHOLDS.HighLatency.value),
      w: 4,
      h: 5,
    }),
    gauge({
      title: 'CPU',
      description: 'Host CPU usage as the API measures it at scrape time (HighCPUUsage: above 80% for 10 minutes).',
      queries: [{ expr: `max(samokoder_system_cpu_usage_percent{${I}})`, legend: 'CPU' }],
      unit: 'percent',
      min: 0,
      max: 100,
      steps: [
        { value: THRESHOLDS.HighCPUUsage.value * 0.85, color: 'orange' },
        { value: THRESHOLDS.HighCPUUsage.value, color: 'red' },
      ],
      w: 4,
      h: 5,
    }),
    gauge({
      title: 'Memory',
      description: 'Host memory used / total (HighMemoryUsage: above 85% for 10 minutes).',
      queries: [
        {
          expr: `max(samokoder_system_memory_usage_bytes{type="used", ${I}} / ignoring (type) samokoder_system_memory_usage_bytes{type="total", ${I}})`,
          legend: 'memory',
        },
      ],
      unit: 'percentunit',
      min: 0,
      max: 1,
      steps: [
        { value: THRESHOLDS.HighMemoryUsage.value - 0.1, color: 'orange' },
        { value: THRESHOLDS.HighMemoryUsage.value, color: 'red' },
      ],
      w: 4,
      h: 5,
    }),
    gauge({
      title: 'Disk',
      description: 'Disk used / total of the fullest configured data path (LowDiskSpace: less than 10% free for 5 minutes).',
      queries: [
        {
          expr: `max(samokoder_system_disk_usage_bytes{type="used", ${I}} / ignoring (type) samokoder_system_disk_usage_bytes{type="total", ${I}})`,
          legend: 'disk',
        },
      ],
      unit: 'percentunit',
      min: 0,
      max: 1,
      steps: [
        { value: 1 - THRESHOLDS.LowDiskSpace.value - 0.1, color: 'orange' },
        { value: 1 - THRESHOLDS.LowDiskSpace.value, color: 'red' },
      ],
      w: 4,
      h: 5,
    }),

    row('HTTP'),
    timeseries({
      title: 'HTTP Request Rate',
      description: 'Requests per second by route template, method and status.',
      queries: [{ expr: `sum by (endpoint, method, status) (rate(${api('samokoder_http_requests_total')}[${RI}]))`, legend: '{{method}} {{endpoint}} {{status}}' }],
      unit: 'reqps',
      w: 12,
      h: 8,
    }),
    timeseries({
      title: 'API Latency (p95)',
      description: '95th percentile of request duration, overall and per route template (HighLatency: overall above 5 s for 10 minutes).',
      queries: [
        { expr: `histogram_quantile(0.95, sum by (le) (rate(${api('samokoder_http_request_duration_seconds_bucket')}[${RI}])))`, legend: 'all endpoints' },
        { expr: `histogram_quantile(0.95, sum by (le, endpoint) (rate(${api('samokoder_http_request_duration_seconds_bucket')}[${RI}])))`, legend: '{{endpoint}}' },
      ],
      unit: 's',
      steps: red(THRESHOLDS.HighLatency.value),
      w: 12,
      h: 8,
    }),
    timeseries({
      title: 'Error Rate (5xx + 499)',
      description: `Share of user requests answered 5xx or abandoned before an answer (${ABANDONED}), both sides summed before dividing (HighErrorRate: above 5% for 5 minutes).`,
      queries: [
        {
          expr: `(sum(rate(${api('samokoder_http_requests_total', FAILED)}[${RI}])) or vector(0)) / sum(rate(${api('samokoder_http_requests_total')}[${RI}]))`,
          legend: 'failed share',
        },
      ],
      unit: 'percentunit',
      min: 0,
      steps: red(THRESHOLDS.HighErrorRate.value),
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'Requests In Progress',
      description: 'Requests being served right now, by route template.',
      queries: [{ expr: `sum by (endpoint) (${api('samokoder_http_requests_in_progress')})`, legend: '{{endpoint}}' }],
      unit: 'short',
      min: 0,
      stack: true,
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'Rate Limit Hits',
      description: 'Requests refused with 429, by limit type (HighRateLimitHits: above 10/s for 5 minutes).',
      queries: [{ expr: `sum by (limit_type) (rate(${api('samokoder_rate_limit_hits_total')}[${RI}]))`, legend: '{{limit_type}}' }],
      unit: 'reqps',
      min: 0,
      steps: red(THRESHOLDS.HighRateLimitHits.value),
      w: 8,
      h: 8,
    }),

    row('LLM'),
    timeseries({
      title: 'LLM Request Rate',
      description: 'LLM requests per second (every attempt) by provider, model and agent.',
      queries: [{ expr: `sum by (provider, model, agent) (rate(${api('samokoder_llm_requests_total')}[${RI}]))`, legend: '{{provider}} {{model}} {{agent}}' }],
      unit: 'reqps',
      min: 0,
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'LLM Error Rate',
      description: 'Failed share of LLM requests per provider, both sides summed by provider (HighLLMErrorRate: above 10% for 10 minutes).',
      queries: [
        {
          expr: `(sum by (provider) (rate(${api('samokoder_llm_request_errors_total')}[${RI}])) or sum by (provider) (rate(${api('samokoder_llm_requests_total')}[${RI}])) * 0) / sum by (provider) (rate(${api('samokoder_llm_requests_total')}[${RI}]))`,
          legend: '{{provider}}',
        },
      ],
      unit: 'percentunit',
      min: 0,
      steps: red(THRESHOLDS.HighLLMErrorRate.value),
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'LLM Latency (p95)',
      description: '95th percentile of LLM request duration per provider (HighLLMLatency: above 30 s).',
      queries: [{ expr: `histogram_quantile(0.95, sum by (le, provider) (rate(${api('samokoder_llm_request_duration_seconds_bucket')}[${RI}])))`, legend: '{{provider}}' }],
      unit: 's',
      steps: red(THRESHOLDS.HighLLMLatency.value),
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'LLM Token Consumption',
      description: 'Tokens consumed over the last hour by provider, model and token type, against the hourly budget (LLMTokenBudgetExceeded).',
      queries: [
        { expr: `sum by (provider, model, token_type) (increase(${api('samokoder_llm_tokens_consumed_total')}[1h]))`, legend: '{{provider}} {{model}} {{token_type}}' },
        { expr: `max(${api('samokoder_llm_token_budget_per_hour')})`, legend: 'budget per hour' },
      ],
      unit: 'short',
      min: 0,
      w: 24,
      h: 8,
    }),

    row('Business'),
    timeseries({
      title: 'Projects Created',
      description: 'Projects accepted over the last hour, by user tier (NoProjectsCreated: none for 2 hours).',
      queries: [{ expr: `sum by (user_tier) (increase(${api('samokoder_projects_created_total')}[1h]))`, legend: '{{user_tier}}' }],
      unit: 'short',
      min: 0,
      stack: true,
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'Project Generation (p95)',
      description: '95th percentile of project generation time over the last hour, by estimated complexity.',
      queries: [
        { expr: `histogram_quantile(0.95, sum by (le, complexity) (rate(${api('samokoder_projects_generation_duration_seconds_bucket')}[1h])))`, legend: '{{complexity}}' },
      ],
      unit: 's',
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'Login Attempts',
      description: 'Login attempts per second by result (AuthenticationFailureSpike: failures above 0.5/s for 5 minutes).',
      queries: [{ expr: `sum by (result) (rate(${api('samokoder_auth_attempts_total')}[${RI}]))`, legend: '{{result}}' }],
      unit: 'ops',
      min: 0,
      steps: red(THRESHOLDS.AuthenticationFailureSpike.value),
      w: 8,
      h: 8,
    }),

    row('Database'),
    timeseries({
      title: 'Query Latency (p95)',
      description: '95th percentile of database query duration by SQL operation (SlowDatabaseQueries: overall above 1 s).',
      queries: [{ expr: `histogram_quantile(0.95, sum by (le, operation) (rate(${api('samokoder_db_query_duration_seconds_bucket')}[${RI}])))`, legend: '{{operation}}' }],
      unit: 's',
      steps: red(THRESHOLDS.SlowDatabaseQueries.value),
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'Database Errors',
      description: 'Database errors per second by type (DatabaseErrors: above 0.1/s, constraint violations excluded).',
      queries: [{ expr: `sum by (error_type) (rate(${api('samokoder_db_errors_total')}[${RI}]))`, legend: '{{error_type}}' }],
      unit: 'ops',
      min: 0,
      steps: red(THRESHOLDS.DatabaseErrors.value),
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'Connection Pool',
      description: 'Pool connections in use, idle, and queries waiting for one (waiting above 0 means the pool is too small).',
      queries: [
        { expr: `sum(${api('samokoder_db_connections_active')})`, legend: 'active' },
        { expr: `sum(${api('samokoder_db_connections_idle')})`, legend: 'idle' },
        { expr: `sum(${api('samokoder_db_connections_waiting')})`, legend: 'waiting' },
      ],
      unit: 'short',
      min: 0,
      w: 8,
      h: 8,
    }),

    row('Redis and PostgreSQL (exporters)'),
    upDown('PostgreSQL', 'pg_up from postgres-exporter: 1 when it can query the database (PostgresDown).', 'max(pg_up{job="postgres"})', 'pg_up'),
    upDown('Redis', 'redis_up from redis-exporter: 1 when it can reach Redis (RedisDown).', 'max(redis_up{job="redis"})', 'redis_up'),
    stat({
      title: 'Scrape Targets Down',
      description: 'Targets Prometheus cannot scrape, in every job (exporters and the monitoring itself included).',
      queries: [{ expr: 'count(up == 0) or vector(0)', legend: 'down' }],
      unit: 'none',
      steps: red(1),
      w: 4,
      h: 5,
    }),
    timeseries({
      title: 'PostgreSQL Backends',
      description: 'Open connections per database (pg_stat_database_numbackends).',
      queries: [{ expr: 'sum by (datname) (pg_stat_database_numbackends{job="postgres", datname!~"template.*"})', legend: '{{datname}}' }],
      unit: 'short',
      min: 0,
      w: 6,
      h: 5,
    }),
    timeseries({
      title: 'Redis Clients and Memory',
      description: 'Connected clients and memory used by Redis.',
      queries: [
        { expr: 'sum(redis_connected_clients{job="redis"})', legend: 'clients' },
        { expr: 'sum(redis_memory_used_bytes{job="redis"}) / 1048576', legend: 'memory used (MiB)' },
      ],
      unit: 'short',
      min: 0,
      w: 6,
      h: 5,
    }),

    row('SLO and error budget (30 days)'),
    stat({
      title: 'Availability (30d)',
      description: 'Share of user requests that did not fail (answered 5xx or abandoned) over 30 days; the objective is 99.9%.',
      queries: [{ expr: '1 - max(job:samokoder_http_requests_failed:ratio_rate30d{job="samokoder-api"})', legend: 'availability' }],
      unit: 'percentunit',
      decimals: 3,
      baseColor: 'red',
      steps: [{ value: 1 - AVAILABILITY_BUDGET, color: 'green' }],
      w: 5,
      h: 5,
    }),
    stat({
      title: 'Probe Availability (30d)',
      description: 'Share of the blackbox probes of /health (as users reach the API; through nginx in docker-compose) that succeeded over 30 days: the availability SLI seen from outside, traffic or not (APIDown fires after 1 minute of failed probes).',
      queries: [{ expr: 'min(instance:probe_success:ratio_avg30d{instance="api"})', legend: 'probe availability' }],
      unit: 'percentunit',
      decimals: 3,
      baseColor: 'red',
      steps: [{ value: 1 - AVAILABILITY_BUDGET, color: 'green' }],
      w: 5,
      h: 5,
    }),
    budgetLeft('Availability Error Budget Left', 'Share of the 30-day availability error budget (0.1% of requests) still unspent; below 0 the SLO is missed.', 'min(job:samokoder_http_availability:error_budget_remaining30d{job="samokoder-api"})'),
    budgetLeft('Latency Error Budget Left', 'Share of the 30-day latency error budget (5% of requests may take over 0.5 s) still unspent.', 'min(job:samokoder_http_latency:error_budget_remaining30d{job="samokoder-api"})'),
    stat({
      title: 'Requests Within 0.5 s (30d)',
      description: 'Share of requests that finished within 0.5 s over 30 days; the objective is 95%.',
      queries: [{ expr: '1 - max(job:samokoder_http_requests_slow:ratio_rate30d{job="samokoder-api"})', legend: 'fast' }],
      unit: 'percentunit',
      decimals: 2,
      baseColor: 'red',
      steps: [{ value: 1 - LATENCY_BUDGET, color: 'green' }],
      w: 4,
      h: 5,
    }),
    timeseries({
      title: 'Availability Burn Rate',
      description: 'Error ratio divided by the error budget: 1 spends the budget in exactly 30 days; AvailabilitySLOFastBurn pages at 14.4 over 1h and 5m.',
      queries: [
        { expr: `max(job:samokoder_http_requests_failed:ratio_rate5m{job="samokoder-api"}) / ${AVAILABILITY_BUDGET}`, legend: '5m' },
        { expr: `max(job:samokoder_http_requests_failed:ratio_rate1h{job="samokoder-api"}) / ${AVAILABILITY_BUDGET}`, legend: '1h' },
        { expr: `max(job:samokoder_http_requests_failed:ratio_rate6h{job="samokoder-api"}) / ${AVAILABILITY_BUDGET}`, legend: '6h' },
      ],
      unit: 'short',
      min: 0,
      steps: red(FAST_BURN),
      w: 24,
      h: 8,
    }),
  ];
}

/** The dashboard as Grafana's JSON model (provisioned from a file: no `id`). */
export function overviewDashboard(): Record<string, unknown> {
  return {
    uid: OVERVIEW_UID,
    title: 'Samokoder Overview',
    description: 'Samokoder API, LLM, business, database and SLO at a glance. Generated by `npm run dashboards` from src/dashboards/overview.ts: edit the code, not this JSON.',
    tags: ['samokoder'],
    editable: false,
    graphTooltip: 1,
    timezone: 'browser',
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    schemaVersion: 39,
    version: 1,
    links: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: { selected: true, text: 'Prometheus', value: PROMETHEUS_UID },
          hide: 0,
          refresh: 1,
          regex: '',
          options: [],
        },
        {
          name: 'instance',
          label: 'API instance',
          type: 'query',
          datasource: { type: 'prometheus', uid: '${datasource}' },
          definition: 'label_values(up{job="samokoder-api"}, instance)',
          query: { query: 'label_values(up{job="samokoder-api"}, instance)', refId: 'instance' },
          includeAll: true,
          multi: true,
          allValue: '.*',
          current: { selected: true, text: ['All'], value: ['$__all'] },
          refresh: 2,
          sort: 1,
          hide: 0,
          regex: '',
          options: [],
        },
      ],
    },
    panels: layout(panels()),
  };
}
