/**
 * Grafana's templating, for Prometheus: `$var`, `${var}` and `[[var]]` in queries, a variable's
 * value formatted as Grafana's Prometheus datasource formats it (regex-escaped for multi-value and
 * "All" variables, `(a|b)` for several values, the `allValue` for All), `label_values(selector,
 * label)` as an instant query, and legend templates (`{{label}}`). No DOM.
 */

/** Names Grafana fills in itself (see time.js). */
export const BUILTIN_VARIABLES = ['__interval', '__interval_ms', '__rate_interval', '__range', '__range_s', '__range_ms'];

/** Every `$name`, `${name}` or `[[name]]` reference in `text`. */
export function variableReferences(text) {
  return [...String(text).matchAll(/\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Whether a reference uses a format (`${var:csv}`): the viewer formats values the Prometheus way only. */
export function hasFormatSuffix(text) {
  return /\$\{[A-Za-z0-9_]+:[^}]*\}/.test(String(text));
}

/** A value as a PromQL string literal's content: backslashes and double quotes escaped. */
const stringEscape = (value) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
/** A value as a regular expression matching it literally, inside a PromQL string literal. */
const regexEscape = (value) => stringEscape(value.replace(/[\\$^*{}[\]+?.()|]/g, '\\$&'));

/**
 * The text that replaces a variable in a PromQL query: `variable` is its model (multi,
 * includeAll, allValue), `selected` its current values (`['$__all']` for All), `all` every option.
 */
export function promqlValue(variable, selected, all) {
  const values = selected.includes('$__all') ? (variable.allValue ? null : all) : selected;
  if (values === null) return variable.allValue;
  if (!variable.multi && !variable.includeAll) return stringEscape(String(values[0] ?? ''));
  const escaped = values.map((v) => regexEscape(String(v)));
  return escaped.length === 1 ? escaped[0] : `(${escaped.join('|')})`;
}

/** `text` with every variable of `values` (name → replacement) filled in; unknown ones are left as they are. */
export function interpolate(text, values) {
  return String(text).replace(/\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]/g, (whole, a, b, c) => {
    const name = a ?? b ?? c;
    return Object.hasOwn(values, name) ? values[name] : whole;
  });
}

/** `label_values(selector, label)` parsed, or undefined for any other variable query. */
export function parseLabelValues(query) {
  const m = /^\s*label_values\(\s*(.+)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s.exec(String(query));
  return m ? { selector: m[1].trim(), label: m[2] } : undefined;
}

/** The instant query whose series carry the label's values over the last `rangeSeconds`. */
export function labelValuesQuery({ selector, label }, rangeSeconds) {
  return `group by (${label}) (last_over_time(${selector}[${Math.max(1, rangeSeconds)}s]))`;
}

/**
 * A series' display name as Grafana's Prometheus datasource makes it: the legend template with
 * `{{label}}` replaced by the label's value (the label's name when the series has no such label),
 * or for `__auto`/empty the metric name and labels, or the query when the series has no labels.
 */
export function seriesName(legendFormat, labels, expr) {
  if (legendFormat && legendFormat !== '__auto') {
    return legendFormat.replace(/\{\{\s*(.+?)\s*\}\}/g, (_, name) => (labels[name] ? labels[name] : name));
  }
  const { __name__: name = '', ...rest } = labels;
  const pairs = Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  if (!name && pairs.length === 0) return expr;
  return `${name}{${pairs.join(', ')}}`;
}
