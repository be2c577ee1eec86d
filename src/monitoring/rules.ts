/**
 * The Prometheus rules and their promtool tests, read as data: the alerts and recording rules of
 * `monitoring/prometheus/rules/*.yml`, the alert test cases of `monitoring/prometheus/tests/*.yml`,
 * the metric names a PromQL expression reads, and where each alert's runbook lives.
 *
 * The rules stay YAML (promtool and Prometheus read them); this module only reads them, for the
 * tests that check them (structure, runbooks, metric names, routing) and for any tool that needs
 * the list of alerts, or the `for` of one (bounds computed from the configuration).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseDuration } from './durations.ts';
import { RULE_TESTS_DIR, RULES_DIR, RUNBOOKS_DIR } from './paths.ts';

/** Where `runbook_url` annotations point: the runbook pages on the project's main branch. */
export const RUNBOOK_BASE_URL = 'https://github.com/samokoder/samokoder/blob/main/docs/runbooks/';

/** Severities an alert may carry; Alertmanager routes on them. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
/** The always-firing heartbeat for a dead-man's switch: severity `none`, never silent in tests. */
export const DEADMAN_ALERT = 'Watchdog';

/** One alerting rule, with the file and group it is defined in. */
export interface AlertRule {
  file: string;
  group: string;
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One recording rule, with the file and group it is defined in. */
export interface RecordingRule {
  file: string;
  group: string;
  record: string;
  expr: string;
}

interface RuleFileDoc {
  groups: Array<{ name: string; rules: Array<Partial<AlertRule & RecordingRule>> }>;
}

/** The `.yml` files of `dir`, sorted, as absolute paths. */
export function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => join(dir, f));
}

/** One rule of a rule file as written, with where it stands: `groups[groupIndex].rules[ruleIndex]`. */
export interface PlacedRule {
  file: string;
  group: string;
  groupIndex: number;
  ruleIndex: number;
  rule: Partial<AlertRule & RecordingRule>;
}

/** Every rule (alerting and recording) of the rule files in `dir`, in file order. */
export function listRules(dir = RULES_DIR): PlacedRule[] {
  return yamlFiles(dir).flatMap((file) =>
    (parse(readFileSync(file, 'utf8')) as RuleFileDoc).groups.flatMap((g, groupIndex) =>
      g.rules.map((rule, ruleIndex) => ({ file, group: g.name, groupIndex, ruleIndex, rule })),
    ),
  );
}

/** Every alerting rule of the rule files in `dir`. */
export function listAlerts(dir = RULES_DIR): AlertRule[] {
  return listRules(dir).flatMap(({ file, group, rule }) =>
    rule.alert === undefined
      ? []
      : [{ file, group, alert: rule.alert, expr: String(rule.expr), for: rule.for, labels: rule.labels ?? {}, annotations: rule.annotations ?? {} }],
  );
}

/** Every recording rule of the rule files in `dir`. */
export function listRecordingRules(dir = RULES_DIR): RecordingRule[] {
  return listRules(dir).flatMap(({ file, group, rule }) => (rule.record === undefined ? [] : [{ file, group, record: rule.record, expr: String(rule.expr) }]));
}

/** The `runbook_url` an alert must carry. */
export function runbookUrl(alert: string): string {
  return `${RUNBOOK_BASE_URL}${alert}.md`;
}

/** The runbook page of an alert in this checkout. */
export function runbookPath(alert: string): string {
  return join(RUNBOOKS_DIR, `${alert}.md`);
}

/** One `alert_rule_test` entry of a promtool test file: does it expect the alert to fire, and with which labels? */
export interface AlertTestCase {
  file: string;
  test: string;
  alertname: string;
  evalTime: string;
  firing: boolean;
  /** The `exp_labels` of each expected alert: the labels the rule fires with (external labels aside). */
  expLabels: Array<Record<string, string>>;
}

interface TestFileDoc {
  tests?: Array<{ name?: string; alert_rule_test?: Array<{ alertname: string; eval_time: string; exp_alerts?: Array<{ exp_labels?: Record<string, string> }> }> }>;
}

/** Every alert test case of the promtool test files in `dir`. */
export function listAlertTestCases(dir = RULE_TESTS_DIR): AlertTestCase[] {
  return yamlFiles(dir).flatMap((file) =>
    ((parse(readFileSync(file, 'utf8')) as TestFileDoc).tests ?? []).flatMap((t, i) =>
      (t.alert_rule_test ?? []).map((c) => ({
        file,
        test: t.name ?? `test #${i + 1}`,
        alertname: c.alertname,
        evalTime: c.eval_time,
        firing: (c.exp_alerts ?? []).length > 0,
        expLabels: (c.exp_alerts ?? []).map((a) => a.exp_labels ?? {}),
      })),
    ),
  );
}

// PromQL words that look like identifiers but are not metric names when not followed by `(`.
const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects, in order of appearance, without duplicates.
 * A small scanner, not a parser: it drops strings, label matchers (`{...}`), ranges (`[...]`) and
 * label lists of by/without/on/ignoring/group_*, then keeps the identifiers that are neither a
 * keyword nor a function or aggregation (followed by `(`). `{__name__=...}` selectors are not seen.
 */
export function metricNamesInExpr(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  // Numbers (with exponents and duration units) are matched first so `1e6` or `2h` never yield a name.
  for (const m of stripped.matchAll(/\d[\d.]*(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*|([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (name === undefined || call !== undefined || PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * The raw metric names `expr` depends on: what it selects, with each recorded series replaced by
 * what its recording rule reads, transitively. `recorded` maps record names to expressions.
 */
export function sourceMetrics(expr: string, recorded: ReadonlyMap<string, string> = new Map(listRecordingRules().map((r) => [r.record, r.expr]))): string[] {
  const found = new Set<string>();
  const visit = (e: string, seen: ReadonlySet<string>) => {
    for (const name of metricNamesInExpr(e)) {
      const rule = recorded.get(name);
      if (rule === undefined) found.add(name);
      else if (!seen.has(name)) visit(rule, new Set([...seen, name]));
    }
  };
  visit(expr, new Set());
  return [...found];
}

/** The `for:` of alert `name` in the rule file `file` of rules/, in milliseconds (0 without one). */
export function alertFor(name: string, file: string): number {
  const doc = parse(readFileSync(join(RULES_DIR, file), 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string; for?: string }> }> };
  const rule = doc.groups.flatMap((g) => g.rules).find((r) => r.alert === name);
  if (!rule) throw new Error(`alert ${name} not found in rules/${file}`);
  return rule.for ? parseDuration(rule.for) : 0;
}
