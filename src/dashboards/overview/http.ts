/** HTTP: request rate, latency, failures, requests in progress, rate-limit refusals. */
import { row, timeseries, type PanelJson } from '../grafana.ts';
import { THRESHOLDS, red, RI, FAILED, ABANDONED, api } from './common.ts';

/** The panels of the "HTTP" row, the row header first. */
export function httpRow(): PanelJson[] {
  return [
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
  ];
}
