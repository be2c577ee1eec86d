/**
 * Time ranges and query timing as Grafana computes them for a Prometheus datasource: relative
 * (`now-6h`) and absolute (epoch ms) ranges, the panel interval (range / max data points, rounded
 * to Grafana's steps, at least the datasource's scrape interval), the step (no more than 11,000
 * points), the range aligned to the step, and the built-in variables `$__interval`,
 * `$__interval_ms`, `$__rate_interval`, `$__range`, `$__range_s`, `$__range_ms`. No DOM.
 */

/** The time-range picker's choices (Grafana's quick ranges that the issue asks for, plus the dashboard's own). */
export const QUICK_RANGES = [
  { from: 'now-15m', label: 'Last 15 minutes' },
  { from: 'now-1h', label: 'Last 1 hour' },
  { from: 'now-6h', label: 'Last 6 hours' },
  { from: 'now-24h', label: 'Last 24 hours' },
  { from: 'now-7d', label: 'Last 7 days' },
];

/** The auto-refresh picker's choices ('' is off). */
export const REFRESH_INTERVALS = ['', '10s', '30s', '1m'];

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Milliseconds of a Grafana/Prometheus duration (`15s`, `1m`, `6h`); undefined for anything else. */
export function durationMs(text) {
  const parts = [...String(text).matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== String(text)) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]], 0);
}

/** Epoch ms of a range end: `now`, `now-<duration>`, or epoch milliseconds; undefined when unreadable. */
export function resolveTime(text, now) {
  if (text === 'now') return now;
  if (/^[0-9]{10,}$/.test(text)) return Number(text);
  const m = /^now-(.+)$/.exec(text);
  const ms = m ? durationMs(m[1]) : undefined;
  return ms === undefined ? undefined : now - ms;
}

/** Grafana's interval rounding: the nearest of its fixed steps (10 ms ... 1 y) below the raw interval. */
export function roundInterval(ms) {
  const steps = [
    [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1000], [3500, 2000], [7500, 5000],
    [12500, 10000], [17500, 15000], [25000, 20000], [45000, 30000], [90000, 60000], [210000, 120000], [450000, 300000],
    [750000, 600000], [1050000, 900000], [1500000, 1200000], [2700000, 1800000], [5400000, 3600000], [9000000, 7200000],
    [16200000, 10800000], [32400000, 21600000], [86400000, 43200000], [604800000, 86400000], [1814400000, 604800000],
    [3628800000, 2592000000],
  ];
  for (const [below, step] of steps) if (ms < below) return step;
  return 31536000000;
}

/**
 * How one panel's queries are sent, as Grafana's Prometheus datasource computes it: for the range
 * `fromMs`-`toMs`, a panel `maxDataPoints` wide and the datasource's scrape interval (its
 * `timeInterval`, default 15s), the query_range `start`/`end`/`step` (s), the instant query `time`
 * (s), and the built-in variables.
 */
export function queryTiming({ fromMs, toMs, maxDataPoints, scrapeInterval = '15s' }) {
  const scrapeS = (durationMs(scrapeInterval) ?? 15_000) / 1000;
  const intervalS = Math.max(roundInterval((toMs - fromMs) / Math.max(1, maxDataPoints)), scrapeS * 1000) / 1000;
  const start = Math.floor(fromMs / 1000);
  const end = Math.ceil(toMs / 1000);
  const range = end - start;
  let safe = range / 11000;
  if (safe > 1) safe = Math.ceil(safe);
  const step = Math.max(intervalS, scrapeS, safe);
  const rangeS = Math.round((toMs - fromMs) / 1000);
  const rate = Math.max(step + scrapeS, 4 * scrapeS);
  return {
    start: Math.floor(start / step) * step,
    end: Math.floor(end / step) * step,
    step,
    time: end,
    vars: {
      __interval: `${step}s`,
      __interval_ms: String(step * 1000),
      __rate_interval: `${rate}s`,
      __range: `${rangeS}s`,
      __range_s: String(rangeS),
      __range_ms: String(toMs - fromMs),
    },
  };
}
