/** The API's database use: query latency, errors, the connection pool. */
import { row, timeseries, type PanelJson } from '../grafana.ts';
import { THRESHOLDS, red, RI, api } from './common.ts';

/** The panels of the "Database" row, the row header first. */
export function databaseRow(): PanelJson[] {
  return [
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
  ];
}
