/** PostgreSQL and Redis as their exporters see them, and scrape targets down. */
import { row, stat, timeseries, type PanelJson } from '../grafana.ts';
import { red, upDown } from './common.ts';

/** The panels of the "Redis and PostgreSQL (exporters)" row, the row header first. */
export function exportersRow(): PanelJson[] {
  return [
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
  ];
}
