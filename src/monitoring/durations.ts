/**
 * Prometheus durations (`1m30s`, `10s`, `7d`) both ways, and the global intervals of a Prometheus
 * config: what every bound computed from the configuration (alert delays, retention, waits in
 * tests) is made of.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PROMETHEUS_CONFIG } from './paths.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A Prometheus duration (`1m30s`, `10s`, `7d`) in milliseconds; throws on anything else. */
export function parseDuration(text: string): number {
  const parts = [...String(text).matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== String(text)) throw new Error(`not a Prometheus duration: '${text}'`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] as string] as number), 0);
}

/** A duration in Prometheus' notation (`1h30m`, `4m`, `0s`). */
export function formatDuration(ms: number): string {
  const parts: Array<[number, string]> = [
    [Math.floor(ms / 3_600_000), 'h'],
    [Math.floor((ms % 3_600_000) / 60_000), 'm'],
    [Math.floor((ms % 60_000) / 1000), 's'],
  ];
  return parts.filter(([n]) => n > 0).map(([n, unit]) => `${n}${unit}`).join('') || '0s';
}

/** Global scrape and evaluation intervals, e.g. `{ scrape: '2s', evaluation: '2s' }`. */
export interface Intervals {
  scrape: string;
  evaluation: string;
}

/** The global intervals a Prometheus config file sets (Prometheus' defaults, 1m, when absent). */
export function globalIntervals(configFile = PROMETHEUS_CONFIG): Intervals {
  const doc = parse(readFileSync(configFile, 'utf8')) as { global?: { scrape_interval?: string; evaluation_interval?: string } };
  return { scrape: doc.global?.scrape_interval ?? '1m', evaluation: doc.global?.evaluation_interval ?? '1m' };
}
