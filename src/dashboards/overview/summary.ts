/** The top row: API health, failure rate, p95 latency and the host gauges at a glance. */
import { gauge, row, stat, type PanelJson } from '../grafana.ts';
import { THRESHOLDS, red, upDown, I, FAILED, ABANDONED, api } from './common.ts';

/** The panels of the "Overview" row, the row header first. */
export function summaryRow(): PanelJson[] {
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
  ];
}
