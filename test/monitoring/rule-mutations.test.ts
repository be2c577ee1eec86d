// Mutation testing of the Prometheus rules: every threshold moved just across its boundary, every
// `for` one minute shorter and longer, every operand of an alert's `or` (SLO window pairs, causes)
// dropped, every aggregation dropped or its `by` list cut, each on its own, must make some promtool
// test of monitoring/prometheus/tests (and federation/tests) fail. Prints the mutation score, the
// survivors by name, and what the run cost.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CENTRAL_RULES, formatReport, REGIONAL_RULES, runMutationTesting } from '../../src/monitoring/mutation-testing.ts';
import { applyMutants, mutantsOf, tokenize } from '../../src/monitoring/mutations.ts';
import { formatDuration } from '../../src/monitoring/durations.ts';
import { listRules, type PlacedRule } from '../../src/monitoring/rules.ts';
import { tempDir } from '../support/services.ts';

const alert = (name: string, expr: string, forDuration?: string): PlacedRule => ({
  file: 'x.yml',
  group: 'g',
  groupIndex: 0,
  ruleIndex: 0,
  rule: { alert: name, expr, ...(forDuration ? { for: forDuration } : {}) },
});
const changes = (rule: PlacedRule, operator: string) => mutantsOf([rule]).filter((m) => m.operator === operator).map((m) => m.name);

test('tokenize keeps matchers, ranges and strings whole and counts parentheses', () => {
  const tokens = tokenize('sum by (job) (rate(x{status=~"5..", a!="b)"}[5m] offset 1h)) > bool 1e-3 # note');
  assert.deepEqual(
    tokens.map((t) => `${t.kind}:${t.text}@${t.depth}`),
    ['identifier:sum@0', 'identifier:by@0', '(:(@0', 'identifier:job@1', '):)@0', '(:(@0', 'identifier:rate@1', '(:(@1', 'identifier:x@2', 'matchers:{status=~"5..", a!="b)"}@2', 'range:[5m]@2', 'identifier:offset@2', 'duration:1h@2', '):)@1', '):)@0', 'operator:>@0', 'identifier:bool@0', 'number:1e-3@0'],
  );
});

test('thresholds move 5% both ways, whole numbers by one, zero onto its boundary; == is left alone', () => {
  assert.deepEqual(changes(alert('A', 'job:x:ratio_rate5m > 0.05'), 'threshold'), ['A: job:x:ratio_rate5m > 0.05 → > 0.0475', 'A: job:x:ratio_rate5m > 0.05 → > 0.0525']);
  assert.deepEqual(changes(alert('A', 'x:ratio < 0.10'), 'threshold'), ['A: x:ratio < 0.10 → < 0.095', 'A: x:ratio < 0.10 → < 0.105']);
  assert.deepEqual(changes(alert('A', 'sum by (job) (increase(x_total[5m])) > 0'), 'threshold'), ['A: sum by (job) (increase(x_total[5m])) > 0 → >= 0']);
  assert.deepEqual(changes(alert('A', 'sum by (job) (up) == 0 and count by (job) (up) > 1'), 'threshold'), ['A: count by (job) (up) > 1 → > 0', 'A: count by (job) (up) > 1 → > 2']);
  // A count is never below 1, so `> 0` and `> -1` are the same alert: no mutant for that.
  assert.deepEqual(changes(alert('A', 'x == 0 and on (job) count by (job) (up offset 2h) > 0'), 'threshold'), ['A: count by (job) (up offset 2h) > 0 → > 1']);
  assert.deepEqual(changes(alert('A', 'max by (name) (resets(c_total[1h])) > 0'), 'threshold'), ['A: max by (name) (resets(c_total[1h])) > 0 → > -1', 'A: max by (name) (resets(c_total[1h])) > 0 → > 1']);
  assert.deepEqual(changes(alert('A', 'min by (job) (prometheus_notifications_alertmanagers_discovered) < 1'), 'threshold').length, 2);
  assert.deepEqual(changes(alert('A', 'a / 0.001 > 14.4 and b / 0.001 > 14.4'), 'threshold'), [
    'A: a / 0.001 > 14.4 → > 13.68',
    'A: a / 0.001 > 14.4 → > 15.12',
    'A: b / 0.001 > 14.4 → > 13.68',
    'A: b / 0.001 > 14.4 → > 15.12',
  ]);
  assert.deepEqual(changes(alert('A', 'up{job="x"} == 0'), 'threshold'), []);
});

test('for shrinks and grows by a minute', () => {
  assert.deepEqual(changes(alert('A', 'x > 1', '5m'), 'for'), ['A: for 5m → 4m', 'A: for 5m → 6m']);
  assert.deepEqual(changes(alert('A', 'x > 1', '1m'), 'for'), ['A: for 1m → 0s', 'A: for 1m → 2m']);
  assert.deepEqual(changes(alert('A', 'x > 1'), 'for'), []);
  assert.equal(formatDuration(3_660_000), '1h1m');
});

test('each operand of a top-level or is dropped on its own, with its or and matching modifier', () => {
  const mutants = mutantsOf([alert('A', '(a > 1 and b > 1)\nor on (job)\n(c > 1 and d > 1)')]).filter((m) => m.operator === 'alternative');
  assert.deepEqual(
    mutants.map((m) => [m.name, m.expr]),
    [
      ['A: without "or" operand 1/2 (a, b)', '(c > 1 and d > 1)'],
      ['A: without "or" operand 2/2 (c, d)', '(a > 1 and b > 1)'],
    ],
  );
  assert.deepEqual(changes(alert('A', 'f(a or b) > 1'), 'alternative'), []);
});

test('each aggregation is dropped, and each label of its by list, in either position', () => {
  const mutants = mutantsOf([{ ...alert('A', 'x'), rule: { record: 'r', expr: 'histogram_quantile(0.9, sum by (job, le) (rate(h[5m]))) / max(y) without (i)' } }]);
  assert.deepEqual(
    mutants.map((m) => [m.name, m.expr]),
    [
      ['r: drop sum by (job, le)', 'histogram_quantile(0.9, (rate(h[5m]))) / max(y) without (i)'],
      ['r: sum by (job, le) → sum by (le)', 'histogram_quantile(0.9, sum by (le) (rate(h[5m]))) / max(y) without (i)'],
      ['r: sum by (job, le) → sum by (job)', 'histogram_quantile(0.9, sum by (job) (rate(h[5m]))) / max(y) without (i)'],
      ['r: drop max without (i)', 'histogram_quantile(0.9, sum by (job, le) (rate(h[5m]))) / (y) '],
      ['r: max without (i) → max without ()', 'histogram_quantile(0.9, sum by (job, le) (rate(h[5m]))) / max(y) without ()'],
    ],
  );
});

test('mutant names are unique, and applying a mutant rewrites only its rule', () => {
  for (const dir of [REGIONAL_RULES.rulesDir, CENTRAL_RULES.rulesDir]) {
    const names = mutantsOf(listRules(dir)).map((m) => m.name);
    assert.equal(new Set(names).size, names.length, names.filter((n, i) => names.indexOf(n) !== i).join('\n'));
  }
  const text = 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x > 1\n        for: 5m\n      - alert: B\n        expr: y > 2\n';
  const [mutant] = mutantsOf([{ file: 'f', group: 'g', groupIndex: 0, ruleIndex: 1, rule: { alert: 'B', expr: 'y > 2' } }]);
  assert.ok(mutant);
  assert.equal(applyMutants(text, [mutant]), text.replace('y > 2', 'y > 1.9'));
});

const HOT = 'groups:\n  - name: g\n    rules:\n      - alert: Hot\n        expr: temperature > 80\n        for: 2m\n';

/** A rule set in a temp dir: one rule file (by default one alert) and one test file. */
function fixture(testCases: string, rules = HOT): { set: typeof REGIONAL_RULES; remove: () => void } {
  const dir = tempDir('mutation-fixture');
  mkdirSync(join(dir.path, 'rules'));
  mkdirSync(join(dir.path, 'tests'));
  writeFileSync(join(dir.path, 'rules', 'r.yml'), rules);
  writeFileSync(join(dir.path, 'tests', 't.yml'), `rule_files: [../rules/r.yml]\nevaluation_interval: 1m\ntests:\n${testCases}`);
  return { set: { root: dir.path, rulesDir: join(dir.path, 'rules'), testsDir: join(dir.path, 'tests') }, remove: dir.remove };
}
const testCase = (values: string, checks: Array<[string, boolean]>) =>
  `  - interval: 1m\n    input_series:\n      - series: temperature\n        values: ${values}\n    alert_rule_test:\n${checks
    .map(([at, firing]) => `      - eval_time: ${at}\n        alertname: Hot\n${firing ? '        exp_alerts: [{exp_labels: {}}]\n' : ''}`)
    .join('')}`;

test('the harness names the survivors of weak tests and kills every mutant of tight ones', async () => {
  // Fires at 100, silent at 50, checked long after `for`: every mutant survives.
  const weak = fixture(testCase('100x20', [['10m', true]]) + testCase('50x20', [['10m', false]]));
  try {
    const report = await runMutationTesting(weak.set);
    assert.equal(report.total, 4);
    assert.deepEqual(
      report.survivors.map((s) => s.name),
      ['Hot: temperature > 80 → > 76', 'Hot: temperature > 80 → > 84', 'Hot: for 2m → 1m', 'Hot: for 2m → 3m'],
    );
  } finally {
    weak.remove();
  }
  // Just above and below the threshold, and exactly when `for` elapses.
  const tight = fixture(testCase('81x20', [['1m', false], ['2m', true]]) + testCase('79x20', [['10m', false]]));
  try {
    const report = await runMutationTesting(tight.set);
    assert.deepEqual(report.survivors, []);
    assert.equal(report.killed, 4);
  } finally {
    tight.remove();
  }
});

test('the harness refuses a test file whose timing depends on the random order of rule groups', async () => {
  const twoGroups = `${HOT.replace('temperature > 80', 'job:temperature:max > 80')}  - name: records\n    rules:\n      - record: job:temperature:max\n        expr: max by (job) (temperature)\n`;
  const racy = fixture(testCase('81x20', [['10m', true]]), twoGroups);
  try {
    await assert.rejects(runMutationTesting(racy.set), /Hot read series recorded in another group; set group_eval_order/);
  } finally {
    racy.remove();
  }
});

for (const [label, set] of [
  ['regional rules (monitoring/prometheus)', REGIONAL_RULES],
  ['central rules (monitoring/prometheus/federation)', CENTRAL_RULES],
] as const) {
  test(`every mutant of the ${label} is killed by a promtool test`, async (t) => {
    const report = await runMutationTesting(set);
    const text = formatReport(label, report);
    for (const line of text.split('\n')) t.diagnostic(line);
    assert.ok(report.total > 0, 'no mutants');
    assert.equal(report.survivors.length, 0, `${report.survivors.length} mutants survive every promtool test:\n${text}`);
  });
}
