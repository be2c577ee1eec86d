/**
 * Pre-bound metrics for the request path. prom-client re-validates and re-hashes the labels on
 * every `inc`/`observe`, even through a child from `labels()` (~500-1,600 ns per update measured
 * here); the HTTP hooks update three metrics per request, which broke the 300 ns budget of
 * bench/hot-path.ts. Here a label set is resolved once into a cell of plain numbers, and the
 * request path only adds to them (a few ns).
 *
 * The metrics register in a prom-client `Registry` like any other and expose themselves the way
 * prom-client's own do (`get`, `getForPromString`), so `registry.metrics()` prints them exactly as
 * prom-client's Counter, Gauge and Histogram would; `renderSeries` prints one series the same way
 * for the time-sliced exposition (src/metrics/exposition.ts). test/metrics/cells.test.ts checks
 * both against prom-client byte for byte.
 */
import type { Metric, Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

/** A counter or gauge cell: the request path adds to `value`. */
export interface ValueCell {
  value: number;
}

/** A histogram cell: per-bucket (not cumulative) counts, sum and count. */
export class HistogramCell {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }
  /** Records one value, as prom-client's `observe` does (a value above every bound counts in +Inf only). */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    if (i < bounds.length) (this.counts[i] as number)++;
    this.sum += value;
    this.count += 1;
  }
}

/** prom-client's number formatting (`getValueAsString`), including its spelling of NaN. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

const escapeText = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const formatLabels = (labels: Labels) =>
  Object.entries(labels)
    .map(([name, value]) => `${name}="${escapeText(value).replace(/"/g, '\\"')}"`)
    .join(',');

interface Series<C> {
  labels: Labels;
  /** The labels formatted once, without braces. */
  text: string;
  cell: C;
}

/** What the three kinds share: name, help, label validation, the series in creation order. */
abstract class CellMetric<C> {
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  /** prom-client's cluster aggregation hint. */
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series<C>>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  protected abstract newCell(): C;
  protected abstract zero(cell: C): void;
  /** The exposition lines of one series, joined by newlines. */
  abstract renderSeries(series: Series<C>): string;
  /** prom-client-shaped values of one series, shared labels unsplayed (as `getForPromString`). */
  protected abstract values(series: Series<C>): Array<Record<string, unknown>>;

  /** The cell of `labels` (all label names, nothing else), created on first use. Not for the request path: cache it. */
  cell(labels: Labels): C {
    const names = Object.keys(labels);
    if (names.length !== this.labelNames.length || !this.labelNames.every((n) => typeof labels[n] === 'string')) {
      throw new Error(`${this.name}: labels must be exactly ${this.labelNames.join(', ')}; got ${names.join(', ')}`);
    }
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let found = this.series.get(key);
    if (!found) this.series.set(key, (found = { labels: { ...labels }, text: formatLabels(labels), cell: this.newCell() }));
    return found.cell;
  }

  /** The series in creation order (the exposition's order). */
  entries(): IterableIterator<Series<C>> {
    return this.series.values();
  }

  /** `# HELP` and `# TYPE` lines. */
  header(): string {
    const name = escapeText(this.name);
    return `# HELP ${name} ${escapeText(this.help)}\n# TYPE ${name} ${this.type}`;
  }

  /** Zeroes every series (they stay: the request path holds their cells). */
  reset(): void {
    for (const s of this.series.values()) this.zero(s.cell);
  }

  async getForPromString() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.series.values()].flatMap((s) => this.values(s)) };
  }

  async get() {
    const data = await this.getForPromString();
    const values = data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...(labels as Labels), ...(sharedLabels as Labels | undefined) } }));
    return { ...data, values };
  }
}

abstract class ValueMetric extends CellMetric<ValueCell> {
  protected newCell(): ValueCell {
    return { value: 0 };
  }
  protected zero(cell: ValueCell): void {
    cell.value = 0;
  }
  renderSeries(s: Series<ValueCell>): string {
    return `${this.name}${s.text ? `{${s.text}}` : ''} ${formatValue(s.cell.value)}`;
  }
  protected values(s: Series<ValueCell>) {
    return [{ value: s.cell.value, labels: s.labels }];
  }
}

/** A counter of pre-bound cells; the request path does `cell.value += 1`. */
export class CellCounter extends ValueMetric {
  readonly type = 'counter';
}

/** A gauge of pre-bound cells; the request path adds and subtracts. */
export class CellGauge extends ValueMetric {
  readonly type = 'gauge';
}

/** A histogram of pre-bound {@link HistogramCell}s. */
export class CellHistogram extends CellMetric<HistogramCell> {
  readonly type = 'histogram';
  private readonly bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
    this.bounds = [...buckets].sort((a, b) => a - b);
  }

  protected newCell(): HistogramCell {
    return new HistogramCell(this.bounds);
  }
  protected zero(cell: HistogramCell): void {
    cell.counts.fill(0);
    cell.sum = 0;
    cell.count = 0;
  }

  renderSeries(s: Series<HistogramCell>): string {
    const { counts, sum, count } = s.cell;
    const shared = s.text ? `,${s.text}` : '';
    const plain = s.text ? `{${s.text}}` : '';
    const lines: string[] = [];
    let acc = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      acc += counts[i] as number;
      lines.push(`${this.name}_bucket{le="${this.bounds[i]}"${shared}} ${formatValue(acc)}`);
    }
    lines.push(`${this.name}_bucket{le="+Inf"${shared}} ${formatValue(count)}`, `${this.name}_sum${plain} ${formatValue(sum)}`, `${this.name}_count${plain} ${formatValue(count)}`);
    return lines.join('\n');
  }

  protected values(s: Series<HistogramCell>) {
    const { counts, sum, count } = s.cell;
    let acc = 0;
    const pair = (labels: Record<string, string | number>, value: number, metricName: string, exemplar: null | undefined) => ({ labels, sharedLabels: s.labels, value, metricName, exemplar });
    return [
      ...this.bounds.map((le, i) => pair({ le }, (acc += counts[i] as number), `${this.name}_bucket`, null)),
      pair({ le: '+Inf' }, count, `${this.name}_bucket`, null),
      pair({}, sum, `${this.name}_sum`, undefined),
      pair({}, count, `${this.name}_count`, undefined),
    ];
  }
}
