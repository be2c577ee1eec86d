/**
 * Mutants of the Prometheus rules: small, plausible mistakes in one rule that the promtool tests
 * must notice (mutation testing; `src/monitoring/mutation-testing.ts` runs them). One mutation per
 * mutant, four operators:
 * - threshold: every comparison of an alert with a number moves just across its boundary, both
 *   ways (the alert then fires too early, or too late or never): by 5% of the threshold; by one
 *   for whole-number values (`count`, `changes`, `resets`, `up`); a zero threshold onto its
 *   boundary (`> 0` becomes `>= 0`: the alert fires on a counter standing still);
 * - for: every alert's `for` one minute shorter and one minute longer;
 * - alternative: every operand of an alert's top-level `or` dropped (an SLO window pair, one cause
 *   of a down alert), so each must be needed by some test;
 * - aggregation: every aggregation of an alert or recording rule dropped (`sum by (job) (x)`
 *   becomes `(x)`), and every label of its `by`/`without` list dropped.
 * Expressions are read by a small PromQL tokenizer, enough to find operators, numbers, operands
 * and aggregations; it is not a parser and does not check syntax (promtool does).
 */
import { parseDocument } from 'yaml';
import { formatDuration, parseDuration } from './durations.ts';
import { metricNamesInExpr, type PlacedRule } from './rules.ts';

/** How a mutant differs from the rule it comes from. */
export type MutationOperator = 'threshold' | 'for' | 'alternative' | 'aggregation';

/** One mutated rule: the rule at `groups[groupIndex].rules[ruleIndex]` of `file`, with a new `expr` or `for`. */
export interface Mutant {
  /** `<rule>: <change>`, unique among the mutants of one set of rule files. */
  name: string;
  operator: MutationOperator;
  /** The alert or recorded series the mutated rule defines. */
  rule: string;
  file: string;
  groupIndex: number;
  ruleIndex: number;
  expr: string;
  for?: string;
}

/** Relative step of a threshold move: tests must hold values within 5% of each threshold, on both sides. */
export const THRESHOLD_STEP = 0.05;
/** Step of a `for` change: the evaluation interval of the promtool tests. */
const FOR_STEP_MS = 60_000;

type TokenKind = 'number' | 'duration' | 'string' | 'identifier' | 'operator' | '(' | ')' | ',' | 'matchers' | 'range';

/** A token of a PromQL expression; `depth` counts the parentheses around it (for `(`, those outside it). */
export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
  depth: number;
}

const OPERATORS = ['==', '!=', '>=', '<=', '=~', '!~', '>', '<', '+', '-', '*', '/', '%', '^', '@', '='];
const LEXEMES: Array<[TokenKind, RegExp]> = [
  ['duration', /^(?:\d+(?:ms|[smhdwy]))+(?![\w.:])/],
  ['number', /^(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/],
  ['identifier', /^[a-zA-Z_:][a-zA-Z0-9_:]*/],
];

/** Index just past the string literal or the `{...}` / `[...]` starting at `i`. */
function skipDelimited(expr: string, i: number): number {
  const open = expr[i] as string;
  const close = { '"': '"', "'": "'", '`': '`', '{': '}', '[': ']' }[open] as string;
  const inString = close === open;
  for (let j = i + 1; j < expr.length; j++) {
    const c = expr[j] as string;
    if (c === close) return j + 1;
    if (inString && c === '\\' && open !== '`') j++;
    else if (!inString && (c === '"' || c === "'" || c === '`')) j = skipDelimited(expr, j) - 1;
  }
  throw new Error(`unterminated ${open} at ${i} in: ${expr}`);
}

/** The tokens of a PromQL expression; label matchers and ranges are one token each. */
export function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  const push = (kind: TokenKind, end: number, at = depth) => {
    tokens.push({ kind, text: expr.slice(i, end), start: i, end, depth: at });
    i = end;
  };
  while (i < expr.length) {
    const c = expr[i] as string;
    if (/\s/.test(c)) i++;
    else if (c === '#') i = expr.includes('\n', i) ? expr.indexOf('\n', i) : expr.length;
    else if (c === '"' || c === "'" || c === '`') push('string', skipDelimited(expr, i));
    else if (c === '{') push('matchers', skipDelimited(expr, i));
    else if (c === '[') push('range', skipDelimited(expr, i));
    else if (c === '(') push('(', i + 1, depth++);
    else if (c === ')') push(')', i + 1, --depth);
    else if (c === ',') push(',', i + 1);
    else {
      const rest = expr.slice(i);
      const lexeme = LEXEMES.map(([kind, re]) => [kind, re.exec(rest)?.[0]] as const).find(([, text]) => text);
      const operator = OPERATORS.find((op) => rest.startsWith(op));
      if (lexeme) push(/^(inf|nan)$/i.test(lexeme[1] as string) ? 'number' : lexeme[0], i + (lexeme[1] as string).length);
      else if (operator) push('operator', i + operator.length);
      else throw new Error(`cannot read PromQL at ${i} ('${rest.slice(0, 20)}') in: ${expr}`);
    }
  }
  return tokens;
}

const SET_OPERATORS = new Set(['and', 'or', 'unless']);
const COMPARISONS = new Set(['==', '!=', '>', '<', '>=', '<=']);
const MODIFIERS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const isWord = (t: Token | undefined, words: Set<string>) => t?.kind === 'identifier' && words.has(t.text.toLowerCase());

/** Index of the `)` closing the `(` at `open`. */
function closingParen(tokens: Token[], open: number): number {
  const depth = (tokens[open] as Token).depth;
  for (let j = open + 1; j < tokens.length; j++) if ((tokens[j] as Token).kind === ')' && (tokens[j] as Token).depth === depth) return j;
  throw new Error(`unbalanced parentheses at ${(tokens[open] as Token).start}`);
}

/** Tokens of the left operand of the binary operator at `op`: back to a looser operator, a `,` or the opening `(`. */
function leftOperand(tokens: Token[], op: number): Token[] {
  const depth = (tokens[op] as Token).depth;
  let start = op;
  while (start > 0) {
    const t = tokens[start - 1] as Token;
    if (t.depth < depth || (t.depth === depth && (t.kind === ',' || isWord(t, SET_OPERATORS) || (t.kind === 'operator' && COMPARISONS.has(t.text))))) break;
    start--;
  }
  // `x and on (job) y > 1`: the matching modifier belongs to the `and`, not to the operand.
  while (isWord(tokens[start], MODIFIERS) && start < op) start = tokens[start + 1]?.kind === '(' ? closingParen(tokens, start + 1) + 1 : start + 1;
  return tokens.slice(start, op);
}

/** The source text of `tokens`. */
const source = (expr: string, tokens: Token[]) => expr.slice((tokens[0] as Token).start, (tokens[tokens.length - 1] as Token).end);

/** Whitespace-collapsed source of `tokens`, shortened for a mutant's name. */
function summary(expr: string, tokens: Token[]): string {
  const text = source(expr, tokens).replace(/\s+/g, ' ');
  return text.length > 64 ? `${text.slice(0, 63)}…` : text;
}

// Functions and aggregations whose result stays a whole number when their input is one, and
// those that count (their result is whole whatever the input).
const WHOLE_PRESERVING = new Set(['sum', 'min', 'max', 'count', 'changes', 'resets', 'count_over_time', 'min_over_time', 'max_over_time', 'last_over_time']);
const COUNTING = new Set(['count', 'changes', 'resets', 'count_over_time']);
// Gauges whose values are whole numbers: target health and the number of discovered Alertmanagers.
const WHOLE_NUMBER_METRIC = /^(up|[a-z_]+_up|prometheus_notifications_alertmanagers_discovered)$/;

/** The smallest value an operand can take when it is a whole number (a count is at least 1), else undefined. */
function wholeNumberMinimum(expr: string, operand: Token[]): number | undefined {
  if (operand.some((t) => t.kind === 'operator' || t.kind === 'number')) return undefined;
  const calls = operand.filter((t, k) => t.kind === 'identifier' && !isWord(t, MODIFIERS) && (operand[k + 1]?.kind === '(' || isWord(operand[k + 1], MODIFIERS)));
  const names = calls.map((t) => t.text.toLowerCase());
  if (!names.every((n) => WHOLE_PRESERVING.has(n))) return undefined;
  if (!names.some((n) => COUNTING.has(n)) && !metricNamesInExpr(source(expr, operand)).every((m) => WHOLE_NUMBER_METRIC.test(m))) return undefined;
  return names[0] === 'count' ? 1 : 0;
}

const compare = (op: string, a: number, b: number) => ({ '>': a > b, '<': a < b, '>=': a >= b, '<=': a <= b })[op] as boolean;
const BOUNDARY: Record<string, string> = { '>': '>=', '<': '<=', '>=': '>', '<=': '<' };
const round = (n: number) => Number(n.toPrecision(10));

interface Change {
  change: string;
  expr: string;
}

/** The threshold moves of an alert's expression. */
function thresholdChanges(expr: string): Change[] {
  const tokens = tokenize(expr);
  return tokens.flatMap((op, i) => {
    if (op.kind !== 'operator' || !BOUNDARY[op.text]) return [];
    const at = isWord(tokens[i + 1], new Set(['bool'])) ? i + 2 : i + 1;
    const threshold = tokens[at];
    const value = Number(threshold?.text);
    if (threshold?.kind !== 'number' || !Number.isFinite(value)) return [];
    const operand = leftOperand(tokens, i);
    const what = `${summary(expr, operand)} ${op.text} ${threshold.text}`;
    const withValue = (v: number): Change => ({
      change: `${what} → ${op.text} ${round(v)}`,
      expr: `${expr.slice(0, threshold.start)}${round(v)}${expr.slice(threshold.end)}`,
    });
    const minimum = wholeNumberMinimum(expr, operand);
    if (minimum !== undefined && Number.isInteger(value)) {
      // Only moves that change the outcome for some whole value the operand can take.
      return [value - 1, value + 1]
        .filter((v) => Array.from({ length: Math.max(value, v) + 2 - minimum }, (_, k) => minimum + k).some((x) => compare(op.text, x, value) !== compare(op.text, x, v)))
        .map(withValue);
    }
    if (value === 0) {
      const flipped = BOUNDARY[op.text] as string;
      return [{ change: `${what} → ${flipped} ${threshold.text}`, expr: `${expr.slice(0, op.start)}${flipped}${expr.slice(op.end)}` }];
    }
    return [value * (1 - THRESHOLD_STEP), value * (1 + THRESHOLD_STEP)].map(withValue);
  });
}

/** The expression without each operand of its top-level `or` (with the `or` and its matching modifier). */
function alternativeChanges(expr: string): Change[] {
  const tokens = tokenize(expr);
  const separators = tokens.flatMap((t, i) => {
    if (t.depth !== 0 || !isWord(t, new Set(['or']))) return [];
    const modified = isWord(tokens[i + 1], MODIFIERS) && tokens[i + 2]?.kind === '(';
    return [{ start: t.start, end: modified ? (tokens[closingParen(tokens, i + 2)] as Token).end : t.end }];
  });
  if (separators.length === 0) return [];
  const bounds = [0, ...separators.flatMap((s) => [s.start, s.end]), expr.length];
  const operands = separators.length + 1;
  return Array.from({ length: operands }, (_, k) => {
    const [from, to] = [bounds[2 * k] as number, bounds[2 * k + 1] as number];
    // Drop the operand with the `or` before it (the first one: with the `or` after it).
    const [cutFrom, cutTo] = k === 0 ? [0, (separators[0] as { end: number }).end] : [(separators[k - 1] as { start: number }).start, to];
    const metrics = metricNamesInExpr(expr.slice(from, to));
    return { change: `without "or" operand ${k + 1}/${operands} (${metrics.join(', ')})`, expr: `${expr.slice(0, cutFrom)}${expr.slice(cutTo)}`.trim() };
  });
}

const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'count', 'group', 'stddev', 'stdvar']);

/** Every aggregation dropped, and every label of its by/without list dropped. */
function aggregationChanges(expr: string): Change[] {
  const tokens = tokenize(expr);
  return tokens.flatMap((t, i) => {
    if (!isWord(t, AGGREGATIONS)) return [];
    // `sum by (l) (x)` or `sum (x) by (l)` or `sum (x)`.
    const labelList = (at: number) => (isWord(tokens[at], new Set(['by', 'without'])) && tokens[at + 1]?.kind === '(' ? { keyword: at, open: at + 1, close: closingParen(tokens, at + 1) } : undefined);
    const prefix = labelList(i + 1);
    const argument = prefix ? prefix.close + 1 : i + 1;
    if (tokens[argument]?.kind !== '(') return [];
    const modifier = prefix ?? labelList(closingParen(tokens, argument) + 1);
    const head = modifier ? `${t.text} ${tokens[modifier.keyword]?.text} ${summary(expr, tokens.slice(modifier.open, modifier.close + 1))}` : t.text;
    const dropped = prefix
      ? `${expr.slice(0, t.start)}${expr.slice((tokens[argument] as Token).start)}`
      : `${expr.slice(0, t.start)}${expr.slice((tokens[argument] as Token).start, modifier ? (tokens[modifier.keyword] as Token).start : undefined)}${modifier ? expr.slice((tokens[modifier.close] as Token).end) : ''}`;
    const changes: Change[] = [{ change: `drop ${head}`, expr: dropped }];
    if (modifier) {
      const labels = tokens.slice(modifier.open + 1, modifier.close).filter((l) => l.kind === 'identifier');
      for (const label of labels) {
        const list = `(${labels.filter((l) => l !== label).map((l) => l.text).join(', ')})`;
        changes.push({
          change: `${head} → ${t.text} ${tokens[modifier.keyword]?.text} ${list}`,
          expr: `${expr.slice(0, (tokens[modifier.open] as Token).start)}${list}${expr.slice((tokens[modifier.close] as Token).end)}`,
        });
      }
    }
    return changes;
  });
}

/** Every mutant of the rules: thresholds, `for`, `or` operands of alerts; aggregations of all rules. */
export function mutantsOf(rules: PlacedRule[]): Mutant[] {
  const mutants = rules.flatMap(({ file, groupIndex, ruleIndex, rule }) => {
    const name = (rule.alert ?? rule.record) as string;
    const expr = String(rule.expr);
    const base = { rule: name, file, groupIndex, ruleIndex, expr };
    const fromExpr = (operator: MutationOperator, changes: Change[]) => changes.map((c) => ({ ...base, operator, name: `${name}: ${c.change}`, expr: c.expr }));
    const forMs = rule.alert && rule.for ? parseDuration(rule.for) : 0;
    return [
      ...(rule.alert ? fromExpr('threshold', thresholdChanges(expr)) : []),
      ...(forMs > 0
        ? [Math.max(0, forMs - FOR_STEP_MS), forMs + FOR_STEP_MS].map((ms) => ({ ...base, operator: 'for' as const, name: `${name}: for ${rule.for} → ${formatDuration(ms)}`, for: formatDuration(ms) }))
        : []),
      ...(rule.alert ? fromExpr('alternative', alternativeChanges(expr)) : []),
      ...fromExpr('aggregation', aggregationChanges(expr)),
    ];
  });
  // The same change twice in one rule (`sum by (job)` on both sides of a ratio): number them.
  const seen = new Map<string, number>();
  for (const m of mutants) seen.set(m.name, (seen.get(m.name) ?? 0) + 1);
  const counters = new Map<string, number>();
  return mutants.map((m) => {
    if ((seen.get(m.name) ?? 0) < 2) return m;
    const k = (counters.get(m.name) ?? 0) + 1;
    counters.set(m.name, k);
    return { ...m, name: `${m.name} (#${k})` };
  });
}

/** The text of rule file `text` (the file of `mutants`) with every mutant applied. */
export function applyMutants(text: string, mutants: Mutant[]): string {
  const doc = parseDocument(text);
  for (const m of mutants) {
    const at = ['groups', m.groupIndex, 'rules', m.ruleIndex];
    doc.setIn([...at, 'expr'], m.expr);
    if (m.for !== undefined) doc.setIn([...at, 'for'], m.for);
  }
  return doc.toString();
}
