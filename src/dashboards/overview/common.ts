/**
 * What the rows of the "Samokoder Overview" share: the alert thresholds the panels draw, the SLO
 * budgets, the label filter of the `instance` variable and small panel builders.
 */
import { ABANDONED_STATUS } from '../../metrics/catalogue.ts';
import { stat, type PanelJson, type Step } from '../grafana.ts';

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
export const AVAILABILITY_BUDGET = 0.001;
export const LATENCY_BUDGET = 0.05;
/** Error budget left: red when spent, orange below a quarter. */
export const BUDGET_STEPS: Step[] = [
  { value: 0, color: 'orange' },
  { value: 0.25, color: 'green' },
];
/** The page threshold of the fast-burn SLO alerts. */
export const FAST_BURN = 14.4;

/** One threshold: red from `value` up. */
export const red = (value: number): Step[] => [{ value, color: 'red' }];

/** A stat panel of the share of a 30-day error budget still unspent. */
export const budgetLeft = (title: string, description: string, expr: string): PanelJson =>
  stat({ title, description, queries: [{ expr, legend: 'budget left' }], unit: 'percentunit', decimals: 1, baseColor: 'red', steps: BUDGET_STEPS, w: 5, h: 5 });

/** A stat panel showing a 0/1 health series as DOWN/UP. */
export const upDown = (title: string, description: string, expr: string, legend: string): PanelJson =>
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
export const I = 'instance=~"$instance"';
/** Grafana's rate window: four scrape intervals. */
export const RI = '$__rate_interval';
/** A user request that failed: answered 5xx, or abandoned before an answer (the availability SLI's "bad"). */
export const FAILED = `status=~"5..|${ABANDONED_STATUS}"`;
/** What status 499 means, for panel descriptions. */
export const ABANDONED = `status ${ABANDONED_STATUS}: the client or the proxy gave up`;
/** A selector of the API job's `metric` on the chosen instances, with `extra` matchers. */
export const api = (metric: string, extra = '') => `${metric}{job="samokoder-api", ${I}${extra ? `, ${extra}` : ''}}`;
