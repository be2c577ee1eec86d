/**
 * Mutation testing of the Prometheus rules: each mutant of `mutations.ts` runs against the
 * promtool tests, and a mutant that leaves every test green survives — a mistake in a rule that
 * the tests would let through. Kept cheap:
 * - a mutant runs only the test groups that can see it: groups of test files that load the mutated
 *   rule file and that check the mutated alert, or an alert or expression reading the mutated
 *   series (directly or through recording rules); first the cheapest group reading the mutated
 *   alert or series itself (fewest evaluations), then, only while it is alive, the others;
 * - mutants whose test groups do not overlap run together: a batch is one copy of the rule set
 *   with all its mutants applied and, per mutant, copies of the test files holding only its
 *   groups; one promtool run tests them all and says which file failed, hence which mutant;
 * - promtool runs on two batches at a time (the machine's two cores);
 * - the copies mirror the rule set's directory, as the tests name rule files by relative path.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parse, parseDocument, type YAMLSeq } from 'yaml';
import { requireBinary } from '../packages.ts';
import { parseDuration } from './durations.ts';
import { PROMETHEUS_DIR, RULES_DIR, RULE_TESTS_DIR } from './paths.ts';
import { applyMutants, type Mutant, mutantsOf } from './mutations.ts';
import { listRules, metricNamesInExpr, type PlacedRule, yamlFiles } from './rules.ts';

/** Rule files and the promtool tests that load them, under one directory. */
export interface RuleSet {
  /** The directory the copies mirror; holds `rulesDir` and `testsDir`. */
  root: string;
  rulesDir: string;
  testsDir: string;
}

/** The rules of every regional Prometheus. */
export const REGIONAL_RULES: RuleSet = { root: PROMETHEUS_DIR, rulesDir: RULES_DIR, testsDir: RULE_TESTS_DIR };
/** The rules of the central Prometheus of a multi-region setup. */
export const CENTRAL_RULES: RuleSet = {
  root: join(PROMETHEUS_DIR, 'federation'),
  rulesDir: join(PROMETHEUS_DIR, 'federation', 'rules'),
  testsDir: join(PROMETHEUS_DIR, 'federation', 'tests'),
};

/** One entry of a promtool test file's `tests:` list. */
interface TestGroup {
  file: string;
  index: number;
  /** Rule files its test file loads (absolute). */
  ruleFiles: Set<string>;
  /** Alerts and series its alert and expression tests read. */
  reads: Set<string>;
  /** Its last evaluation time (ms): promtool evaluates every rule up to it, so it is what a run costs. */
  cost: number;
}

interface TestFileDoc {
  rule_files?: string[];
  group_eval_order?: string[];
  tests?: Array<{ alert_rule_test?: Array<{ alertname: string; eval_time: string }>; promql_expr_test?: Array<{ expr: string; eval_time: string }> }>;
}

/** The files a `rule_files` entry names, relative to the test file (`*` and `?` in the file name only). */
function resolveRuleFiles(testFile: string, pattern: string): string[] {
  const path = resolve(dirname(testFile), pattern);
  if (!/[*?]/.test(basename(path))) return [path];
  const re = new RegExp(`^${basename(path).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return readdirSync(dirname(path))
    .filter((f) => re.test(f))
    .map((f) => join(dirname(path), f));
}

const READS_ALERTS = /^ALERTS(_FOR_STATE)?$/;

/**
 * The test groups of `set`. Throws for a test file whose rules read series recorded in another
 * rule group without `group_eval_order`: promtool then evaluates the groups in a random order, a
 * `for` elapses one evaluation earlier or later from run to run, and so would the kills.
 */
function testGroups(set: RuleSet, rules: PlacedRule[]): TestGroup[] {
  const alerts = rules.flatMap((r) => (r.rule.alert ? [r.rule.alert] : []));
  return yamlFiles(set.testsDir).flatMap((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as TestFileDoc;
    const ruleFiles = new Set((doc.rule_files ?? []).flatMap((p) => resolveRuleFiles(file, p)));
    const loaded = rules.filter((r) => ruleFiles.has(r.file));
    const recordedIn = new Map(loaded.flatMap((r) => (r.rule.record ? [[r.rule.record, r.group] as const] : [])));
    const crossGroup = loaded.filter((r) => metricNamesInExpr(String(r.rule.expr)).some((m) => (recordedIn.get(m) ?? r.group) !== r.group));
    if (crossGroup.length > 0 && !doc.group_eval_order) {
      throw new Error(`${file}: ${crossGroup.map((r) => r.rule.alert ?? r.rule.record).join(', ')} read series recorded in another group; set group_eval_order (promtool evaluates groups in random order)`);
    }
    return (doc.tests ?? []).map((t, index) => {
      const exprMetrics = (t.promql_expr_test ?? []).flatMap((c) => metricNamesInExpr(c.expr));
      const reads = [...(t.alert_rule_test ?? []).map((c) => c.alertname), ...exprMetrics, ...(exprMetrics.some((m) => READS_ALERTS.test(m)) ? alerts : [])];
      const cost = Math.max(0, ...[...(t.alert_rule_test ?? []), ...(t.promql_expr_test ?? [])].map((c) => parseDuration(c.eval_time)));
      return { file, index, ruleFiles, reads: new Set(reads), cost };
    });
  });
}

/** For each series or alert name, the rules reading it, directly or through other rules. */
function readersOf(rules: ReturnType<typeof listRules>): (name: string) => Set<string> {
  const alerts = rules.flatMap((r) => (r.rule.alert ? [r.rule.alert] : []));
  const direct = new Map<string, Set<string>>();
  for (const { rule } of rules) {
    const metrics = metricNamesInExpr(String(rule.expr));
    for (const read of [...metrics, ...(metrics.some((m) => READS_ALERTS.test(m)) ? alerts : [])]) {
      direct.set(read, (direct.get(read) ?? new Set()).add((rule.alert ?? rule.record) as string));
    }
  }
  return (name) => {
    const seen = new Set([name]);
    for (const n of seen) for (const reader of direct.get(n) ?? []) seen.add(reader);
    return seen;
  };
}

/** A survivor: the mutant's name and why no test noticed it. */
export interface Survivor {
  name: string;
  reason: 'no test reads it' | 'every test passed';
}

/** What a mutation run found. */
export interface MutationReport {
  total: number;
  killed: number;
  survivors: Survivor[];
  batches: number;
  promtoolRuns: number;
  elapsedMs: number;
}

interface PromtoolResult {
  status: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

function promtool(args: string[], cwd: string): Promise<PromtoolResult> {
  return new Promise((done, fail) => {
    const child = spawn(requireBinary('promtool'), args, { cwd, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr, output: `${stdout}${stderr}` }));
  });
}

/** Runs `work` on every item, `concurrency` at a time. */
async function inParallel<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Options of a mutation run. */
export interface MutationOptions {
  /** promtool processes at a time; the machine's cores, at most 2 by default. */
  concurrency?: number;
}

/** A mutant and the test groups it runs in one phase. */
interface Trial {
  index: number;
  groups: TestGroup[];
}

const groupKey = (g: TestGroup) => `${g.file}#${g.index}`;

/**
 * Runs `trials` in batches of trials with disjoint test groups (hence also disjoint rules) and
 * returns the indexes of the mutants some test noticed, and the number of promtool runs.
 */
async function runTrials(set: RuleSet, mutants: Mutant[], trials: Trial[], work: string, concurrency: number): Promise<{ killed: Set<number>; batches: number; runs: number }> {
  if (trials.length === 0) return { killed: new Set(), batches: 0, runs: 0 };
  const batches: Array<{ trials: Trial[]; used: Set<string> }> = [];
  for (const trial of trials) {
    let batch = batches.find((b) => !trial.groups.some((g) => b.used.has(groupKey(g))));
    if (!batch) batches.push((batch = { trials: [], used: new Set() }));
    batch.trials.push(trial);
    for (const g of trial.groups) batch.used.add(groupKey(g));
  }
  // Per batch: the mutated rule files, and one test file per mutant and original test file,
  // beside the original (`tests/m<mutant>.<file>`) so that relative rule paths still hold.
  const runs = batches.map((batch) => {
    const dir = mkdtempSync(join(work, 'batch-'));
    const batchMutants = batch.trials.map((t) => mutants[t.index] as Mutant);
    for (const file of yamlFiles(set.rulesDir)) {
      writeMirror(dir, relative(set.root, file), applyMutants(readFileSync(file, 'utf8'), batchMutants.filter((m) => m.file === file)));
    }
    const tests = batch.trials.flatMap(({ index, groups }) =>
      [...new Set(groups.map((g) => g.file))].map((file) => {
        const doc = parseDocument(readFileSync(file, 'utf8'));
        const seq = doc.get('tests') as YAMLSeq;
        seq.items = seq.items.filter((_, i) => groups.some((g) => g.file === file && g.index === i));
        const path = join(relative(set.root, dirname(file)), `m${index}.${basename(file)}`);
        writeMirror(dir, path, doc.toString());
        return { index, path };
      }),
    );
    return { dir, rules: [...new Set(batchMutants.map((m) => join(dir, relative(set.root, m.file))))], tests };
  });
  const check = await promtool(['check', 'rules', ...runs.flatMap((r) => r.rules)], work);
  if (check.status !== 0) throw new Error(`promtool cannot load mutated rules:\n${check.output}`);
  const killed = new Set<number>();
  await inParallel(runs, concurrency, async (run) => {
    const result = await promtool(['test', 'rules', ...run.tests.map((t) => t.path)], run.dir);
    // promtool prints `Unit Testing:  <file>` for each file on stdout, then `SUCCESS` if all its tests pass.
    const passed = new Set([...result.stdout.matchAll(/^Unit Testing:\s+(\S+)\n\s*SUCCESS$/gm)].map((m) => m[1]));
    const failed = run.tests.filter((t) => !passed.has(t.path));
    if (result.status !== 0 && failed.length === 0) throw new Error(`promtool failed on ${run.dir}:\n${result.output}`);
    for (const t of failed) killed.add(t.index);
  });
  return { killed, batches: batches.length, runs: runs.length + 1 };
}

/**
 * Runs every mutant of `set` against its promtool tests, in three phases, each only for the
 * mutants still alive: the cheapest test group reading the mutated alert or series itself, then
 * the other groups reading it, then the groups that see it only through other rules. Throws when
 * the tests fail on the unmutated rules, or when promtool cannot load a mutant.
 */
export async function runMutationTesting(set: RuleSet, options: MutationOptions = {}): Promise<MutationReport> {
  const started = Date.now();
  const concurrency = options.concurrency ?? Math.min(2, availableParallelism());
  const rules = listRules(set.rulesDir);
  const groups = testGroups(set, rules);
  const testFiles = yamlFiles(set.testsDir);
  const baseline = await inParallel(testFiles, concurrency, (file) => promtool(['test', 'rules', file], set.root));
  baseline.forEach((r, i) => {
    if (r.status !== 0) throw new Error(`the promtool tests fail on the unmutated rules (${testFiles[i]}):\n${r.output}`);
  });
  const mutants = mutantsOf(rules);
  const readers = readersOf(rules);
  const survivors: Survivor[] = [];
  const phases: Trial[][] = [[], [], []];
  mutants.forEach((m, index) => {
    const affected = readers(m.rule);
    const seenBy = groups.filter((g) => g.ruleFiles.has(m.file) && [...g.reads].some((r) => affected.has(r)));
    if (seenBy.length === 0) return survivors.push({ name: m.name, reason: 'no test reads it' });
    const [cheapest, ...direct] = seenBy.filter((g) => g.reads.has(m.rule)).sort((a, b) => a.cost - b.cost);
    [cheapest ? [cheapest] : [], direct, seenBy.filter((g) => !g.reads.has(m.rule))].forEach((phaseGroups, phase) => {
      if (phaseGroups.length > 0) phases[phase]?.push({ index, groups: phaseGroups });
    });
  });

  const work = mkdtempSync(join(tmpdir(), 'samokoder-mutants-'));
  try {
    const killed = new Set<number>();
    let [batches, runs] = [0, baseline.length];
    for (const phase of phases) {
      const result = await runTrials(set, mutants, phase.filter((t) => !killed.has(t.index)), work, concurrency);
      for (const index of result.killed) killed.add(index);
      batches += result.batches;
      runs += result.runs;
    }
    const tried = new Set(phases.flat().map((t) => t.index));
    for (const index of tried) if (!killed.has(index)) survivors.push({ name: (mutants[index] as Mutant).name, reason: 'every test passed' });
    return { total: mutants.length, killed: killed.size, survivors, batches, promtoolRuns: runs, elapsedMs: Date.now() - started };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function writeMirror(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** The report as printed by the test: score, cost, and each survivor by name. */
export function formatReport(label: string, r: MutationReport): string {
  const percent = r.total === 0 ? 100 : Math.floor((1000 * r.killed) / r.total) / 10;
  return [
    `${label}: mutation score ${r.killed}/${r.total} killed (${percent}%), ${r.batches} batches, ${r.promtoolRuns} promtool runs, ${(r.elapsedMs / 1000).toFixed(1)} s`,
    ...r.survivors.map((s) => `  survivor (${s.reason}): ${s.name}`),
  ].join('\n');
}
