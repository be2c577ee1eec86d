/**
 * Grafana's value formatting for the units the viewer implements: the same decimals rule (two
 * significant digits, one more from 2.25 on, none for integers), the same scaling steps and
 * suffixes as Grafana's `getValueFormat(unit)(value, decimals)`. A browser module and a Node
 * module alike (no DOM): the conformance test and the e2e test use it too.
 */

/**
 * Decimals Grafana shows when a panel sets none (its getDecimalsForValue, including its quirk: the
 * "norm > 2.25" test holds for every positive value, so positive numbers get three significant digits).
 */
function autoDecimals(value) {
  if (value % 1 === 0) return 0;
  let dec = -Math.floor(Math.log10(Math.abs(value))) + 1;
  if (value / 10 ** -dec > 2.25) dec += 1;
  return Math.max(0, dec);
}

/** `value` rounded to `decimals` (auto when undefined/null), padded with zeros like Grafana's toFixed. */
export function toFixed(value, decimals) {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '∞' : '-∞';
  const d = decimals ?? autoDecimals(value);
  if (value === 0) return value.toFixed(d);
  const factor = d ? 10 ** Math.max(0, d) : 1;
  const rounded = String(Math.round(value * factor) / factor);
  if (rounded.includes('e')) return rounded;
  const dot = rounded.indexOf('.');
  const precision = dot === -1 ? 0 : rounded.length - dot - 1;
  return precision < d ? `${precision ? rounded : `${rounded}.`}${'0'.repeat(d - precision)}` : rounded;
}

/** A formatter dividing by `factor` per step of `suffixes` (Grafana's scaledUnits). */
function scaled(factor, suffixes) {
  return (value, decimals) => {
    if (!Number.isFinite(value)) return toFixed(value, decimals);
    const step = value === 0 ? 0 : Math.floor(Math.log(Math.abs(value)) / Math.log(factor));
    const index = Math.min(Math.max(step, 0), suffixes.length - 1);
    return `${toFixed(value / factor ** index, decimals)}${suffixes[index]}`;
  };
}

/** Grafana's simpleCountUnit: K, M, B, T, then the unit's symbol. */
const count = (symbol) => {
  const scale = scaled(1000, ['', 'K', 'M', 'B', 'T']);
  return (value, decimals) => `${scale(value, decimals)} ${symbol}`;
};

/** Grafana's toSeconds: ns, µs and ms below a second; min, hour, day, week, year above a minute. */
function seconds(value, decimals) {
  const abs = Math.abs(value);
  if (abs === 0 || !Number.isFinite(value)) return `${toFixed(value, decimals)} s`;
  if (abs < 1e-6) return `${toFixed(value * 1e9, decimals)} ns`;
  if (abs < 1e-3) return `${toFixed(value * 1e6, decimals)} µs`;
  if (abs < 1) return `${toFixed(value * 1e3, decimals)} ms`;
  if (abs < 60) return `${toFixed(value, decimals)} s`;
  if (abs < 3600) return `${toFixed(value / 60, decimals)} min`;
  if (abs < 86400) return `${toFixed(value / 3600, decimals)} hour`;
  if (abs < 604800) return `${toFixed(value / 86400, decimals)} day`;
  if (abs < 31536000) return `${toFixed(value / 604800, decimals)} week`;
  return `${toFixed(value / 3.15569e7, decimals)} year`;
}

/** Grafana unit id → formatter `(value, decimals) => text`. The units the viewer implements. */
export const UNITS = {
  none: (value, decimals) => toFixed(value, decimals),
  short: scaled(1000, ['', ' K', ' Mil', ' Bil', ' Tri', ' Quadr', ' Quint', ' Sext', ' Sept']),
  percent: (value, decimals) => `${toFixed(value, decimals)}%`,
  percentunit: (value, decimals) => `${toFixed(100 * value, decimals)}%`,
  s: seconds,
  ms: (value, decimals) => (Math.abs(value) < 1000 ? `${toFixed(value, decimals)} ms` : seconds(value / 1000, decimals)),
  bytes: scaled(1024, [' B', ' KiB', ' MiB', ' GiB', ' TiB', ' PiB', ' EiB', ' ZiB', ' YiB']),
  reqps: count('req/s'),
  ops: count('ops/s'),
};

/** `value` formatted as Grafana formats it with `unit` (a key of {@link UNITS}) and `decimals`. */
export function formatValue(value, unit, decimals) {
  const format = UNITS[unit ?? 'none'];
  if (!format) throw new Error(`unit ${unit} is not implemented`);
  return format(value, decimals ?? undefined);
}
