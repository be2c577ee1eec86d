/**
 * How a value is shown, as Grafana's field display does it: value mappings first (a mapped value
 * shows the mapping's text and colour), else the unit's formatting with the field's decimals,
 * coloured by the highest threshold step at or below it. Colours are Grafana's dark theme's
 * (named colours and the classic palette). No DOM.
 */
import { formatValue } from './units.js';

/** Grafana's named colours (dark theme). */
export const COLORS = {
  green: '#73BF69',
  'dark-green': '#37872D',
  yellow: '#FADE2A',
  orange: '#FF9830',
  red: '#F2495C',
  'dark-red': '#C4162A',
  blue: '#5794F2',
  purple: '#B877D9',
  text: '#CCCCDC',
  transparent: 'rgba(0, 0, 0, 0)',
};

/** The classic palette series take in turn (`palette-classic`). */
export const PALETTE = ['#73BF69', '#F2CC0C', '#8AB8FF', '#FF780A', '#F2495C', '#5794F2', '#B877D9', '#705DA0', '#37872D', '#FADE2A', '#447EBC', '#C15C17', '#890F02', '#0A437C', '#6D1F62', '#584477'];

/** A colour name or #rrggbb as CSS. */
export const cssColor = (name) => COLORS[name] ?? name;

/** The threshold steps of a field, lowest first; the first one's value (null) means "from -∞". */
export function steps(defaults) {
  return (defaults?.thresholds?.steps ?? [{ color: 'green', value: null }]).map((s) => ({ color: cssColor(s.color), value: s.value === null ? -Infinity : s.value }));
}

/** The colour of the highest step at or below `value`. */
export function thresholdColor(value, defaults) {
  let color = steps(defaults)[0]?.color ?? COLORS.green;
  for (const step of steps(defaults)) if (value >= step.value) color = step.color;
  return color;
}

/** The text and colour of `value` for a field with `defaults` (Grafana's fieldConfig.defaults). */
export function displayValue(value, defaults) {
  for (const mapping of defaults?.mappings ?? []) {
    const hit = mapping.type === 'value' ? mapping.options?.[String(value)] : undefined;
    if (hit) return { text: hit.text ?? String(value), color: hit.color ? cssColor(hit.color) : thresholdColor(value, defaults) };
  }
  return { text: formatValue(value, defaults?.unit, defaults?.decimals), color: thresholdColor(value, defaults) };
}

/** Reduces a series' values (nulls skipped where Grafana skips them) by one of support.js's CALCS. */
export function reduce(values, calc) {
  const present = values.filter((v) => v !== null && Number.isFinite(v));
  if (calc === 'last') return values.length ? values[values.length - 1] : null;
  if (present.length === 0) return null;
  if (calc === 'lastNotNull') return present[present.length - 1];
  if (calc === 'max') return Math.max(...present);
  if (calc === 'min') return Math.min(...present);
  const sum = present.reduce((a, b) => a + b, 0);
  return calc === 'sum' ? sum : sum / present.length;
}
