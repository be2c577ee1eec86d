/**
 * Benchmark 7, the dashboard viewer: time from opening the Samokoder Overview (its default range,
 * 6 hours) to every panel drawn, with 2 hours of data behind it, and the Prometheus queries one
 * refresh sends (goal: one per panel target), in Debian's Chromium (test/support/browser.ts).
 *
 * The 2 hours: every series the dashboard reads, as the bench stack's Prometheus holds it after the
 * load run, extended back in time (counters growing at a varying rate up to their current value,
 * histograms' buckets alike so they stay consistent, gauges constant) — written as OpenMetrics,
 * turned into TSDB blocks by `promtool tsdb create-blocks-from openmetrics` and moved into the
 * running Prometheus' data directory, which loads them at its next block reload (within a minute).
 * Recording rules' series are not backfilled: they start with the stack, as after a real deploy.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request } from 'playwright-core';
import { DASHBOARDS_DIR, OVERVIEW_UID } from '../src/monitoring/paths.ts';
import { dashboardQueries, type PanelJson } from '../src/dashboards/grafana.ts';
import { metricNamesInExpr } from '../src/monitoring/rules.ts';
import { requireBinary } from '../src/packages.ts';
import { launchBrowser } from '../test/support/browser.ts';
import { tempDir } from '../test/support/services.ts';
import type { BenchStack } from './bench-stack.ts';
import { log, median, round, sleep } from './lib.ts';

export interface DashboardResult {
  dataHours: number;
  backfill: { series: number; samples: number; seconds: number };
  range: string;
  loads: number;
  /** Navigation start → the page's `samokoder:drawn` mark (every panel drawn), per load. */
  drawnMs: number[];
  medianDrawnMs: number;
  /** The refresh button → every panel drawn again, per refresh. */
  refreshMs: number[];
  medianRefreshMs: number;
  panels: number;
  targets: number;
  /** Prometheus queries of one refresh: the panels' and the variables'. */
  queriesPerRefresh: number;
  variableQueries: number;
  /** The slowest queries of the last load: sent → last byte through the proxy (connection queueing left out). */
  slowest: Array<{ ms: number; query: string }>;
  goalMs: number;
  meetsGoal: boolean;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const COUNTER = /(_total|_bucket|_count|_sum)$/;

/** The share (0..1) of a counter's current value reached at fraction `x` (0..1) of the backfill: a varying rate. */
const grown = (x: number) => x + (1 - Math.cos(6 * Math.PI * x)) / (6 * Math.PI);

async function query(bench: BenchStack, expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${bench.stack.urls.prometheus}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }), signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

/** Writes `hours` of history for every raw series the dashboard reads, ending before the stack's first sample. */
async function backfill(bench: BenchStack, dashboard: { panels: PanelJson[] }, hours: number): Promise<DashboardResult['backfill']> {
  const started = Date.now();
  const names = [...new Set(dashboardQueries(dashboard).flatMap((q) => metricNamesInExpr(q.expr)))].filter((n) => !n.includes(':'));
  const series = await query(bench, `{__name__=~"${names.join('|')}"}`);
  const status = (await (await fetch(`${bench.stack.urls.prometheus}/api/v1/status/tsdb`)).json()) as { data: { headStats: { minTime: number } } };
  const step = bench.intervals.scrape / 1000;
  const end = Math.floor(status.data.headStats.minTime / 1000) - 60;
  const count = Math.floor((hours * 3600) / step);
  const lines: string[] = [];
  series.sort((a, b) => (a.metric.__name__ as string).localeCompare(b.metric.__name__ as string));
  for (const s of series) {
    const { __name__: name, ...labels } = s.metric;
    const head = `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
    const now = Number(s.value[1]);
    if (!Number.isFinite(now)) continue;
    for (let i = 0; i <= count; i++) {
      const value = COUNTER.test(name as string) ? Math.round(now * grown(i / count)) : now;
      lines.push(`${head} ${value} ${end - (count - i) * step}`);
    }
  }
  lines.push('# EOF');
  const dir = tempDir('bench-backfill');
  try {
    const file = join(dir.path, 'history.om');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const out = join(dir.path, 'blocks');
    execFileSync(requireBinary('promtool'), ['tsdb', 'create-blocks-from', 'openmetrics', file, out], { stdio: 'pipe' });
    const tsdb = join(bench.stack.dataDir, 'prometheus');
    for (const block of readdirSync(out)) renameSync(join(out, block), join(tsdb, block));
  } finally {
    dir.remove();
  }
  // Prometheus reloads its blocks once a minute: wait until the oldest hour answers.
  const deadline = Date.now() + 150_000;
  const probe = `count(up{job="samokoder-api"} @ ${end - (count - 10) * step})`;
  while ((await query(bench, probe)).length === 0) {
    if (Date.now() > deadline) throw new Error('Prometheus did not load the backfilled blocks within 150 s');
    await sleep(2_000);
  }
  return { series: series.length, samples: series.length * (count + 1), seconds: round((Date.now() - started) / 1000, 1) };
}

/** Runs the benchmark on a running bench stack (after the load run, so the series are there). */
export async function runDashboardBench(bench: BenchStack, { loads = 5, refreshes = 5, hours = 2 } = {}): Promise<DashboardResult> {
  const dashboard = JSON.parse(readFileSync(join(DASHBOARDS_DIR, 'samokoder-overview.json'), 'utf8')) as { panels: PanelJson[] };
  const filled = await backfill(bench, dashboard, hours);
  log(`dashboard: backfilled ${filled.series} series, ${filled.samples} samples in ${filled.seconds} s`);
  const browser = await launchBrowser();
  try {
    const { page, errors } = await browser.page(1600, 1000);
    let sent: Request[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/datasources/proxy/')) sent.push(r);
    });
    const drawnMs: number[] = [];
    let perRefresh = 0;
    for (let i = 0; i < loads; i++) {
      sent = [];
      await page.goto(`${bench.stack.urls.dashboard}/d/${OVERVIEW_UID}?refresh=`);
      await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
      drawnMs.push(round(await page.evaluate(() => performance.getEntriesByName('samokoder:drawn')[0]?.startTime ?? Number.NaN), 0));
      perRefresh = sent.length;
    }
    // Sent → last byte, without the wait for one of Chromium's six connections per host.
    const timed = sent.map((r) => ({ ms: round(r.timing().responseEnd - r.timing().requestStart, 0), query: new URLSearchParams(r.postData() ?? '').get('query') ?? '' }));
    const refreshMs: number[] = [];
    for (let i = 0; i < refreshes; i++) {
      refreshMs.push(
        round(
          await page.evaluate(
            () =>
              new Promise<number>((resolve) => {
                const before = Number(document.body.dataset.cycle);
                const t0 = performance.now();
                new MutationObserver((_, observer) => {
                  if (document.body.dataset.state === 'ready' && Number(document.body.dataset.cycle) > before) {
                    observer.disconnect();
                    resolve(performance.now() - t0);
                  }
                }).observe(document.body, { attributes: true });
                (document.getElementById('refresh-button') as HTMLButtonElement).click();
              }),
          ),
          0,
        ),
      );
    }
    if (errors.length) throw new Error(`the page logged errors: ${errors.join('; ')}`);
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    const targets = panels.reduce((n, p) => n + ((p.targets as unknown[] | undefined)?.length ?? 0), 0);
    const medianDrawnMs = median(drawnMs);
    return {
      dataHours: hours,
      backfill: filled,
      range: 'now-6h to now',
      loads,
      drawnMs,
      medianDrawnMs,
      refreshMs,
      medianRefreshMs: median(refreshMs),
      panels: panels.length,
      targets,
      queriesPerRefresh: perRefresh,
      variableQueries: perRefresh - targets,
      slowest: timed.sort((a, b) => b.ms - a.ms).slice(0, 5),
      goalMs: 1500,
      meetsGoal: medianDrawnMs <= 1500,
    };
  } finally {
    await browser.close();
  }
}
