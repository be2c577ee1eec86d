/** SLOs and error budgets over 30 days (the recording rules of monitoring/prometheus/rules/slo.yml, the series the SLO alerts read). */
import { row, stat, timeseries, type PanelJson } from '../grafana.ts';
import { AVAILABILITY_BUDGET, budgetLeft, FAST_BURN, LATENCY_BUDGET, red } from './common.ts';

/** The panels of the "SLO and error budget (30 days)" row, the row header first. */
export function sloRow(): PanelJson[] {
  return [
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
