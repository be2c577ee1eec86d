/**
 * `npm run bench`: runs every benchmark of issue 7, the load run of issue 6 §8 and the dashboard
 * viewer's (bench/dashboard.ts), then writes bench/results.json and docs/benchmarks.md
 * (bench/report.ts). Loopback only; every loop is bounded; about 20 minutes on an idle 2-core
 * machine (the 5-minute load run and three APIDown kill-and-resolve cycles dominate).
 *
 * `--quick` shortens every part (minutes → seconds) to check the harness; its figures are not
 * comparable: it writes bench/results.quick.json (not committed) and a report in the temp dir.
 * `--report-only` rewrites docs/benchmarks.md from bench/results.json without measuring.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAlertLatency } from './alert-latency.ts';
import { startBenchStack } from './bench-stack.ts';
import { runCardinality } from './cardinality.ts';
import { runDashboardBench } from './dashboard.ts';
import { memorySnapshot, peakMemory, prometheusStorage, GUIDE_SIZING_MIB } from './footprint.ts';
import { runHotPath } from './hot-path.ts';
import { runInstrumentationCpu } from './instrumentation-cpu.ts';
import { log, machine, sleep } from './lib.ts';
import { runLoad } from './load.ts';
import { writeReport } from './report.ts';
import { runScrape } from './scrape.ts';

const quick = process.argv.includes('--quick');
const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const JSON_FILE = fileURLToPath(new URL(quick ? './results.quick.json' : './results.json', import.meta.url));

// `--report-only`: rewrite docs/benchmarks.md from bench/results.json (after a change to the report's text).
if (process.argv.includes('--report-only')) {
  writeReport(JSON.parse(readFileSync(JSON_FILE, 'utf8')), DOC);
  log(`wrote ${DOC} from ${JSON_FILE}`);
  process.exit(0);
}

/** Runs one part; a failure is recorded (and reported) instead of losing every other figure. */
async function attempt<T>(name: string, run: () => Promise<T>): Promise<T | { error: string }> {
  log(name);
  try {
    return await run();
  } catch (err) {
    log(`${name} failed: ${(err as Error).stack ?? err}`);
    return { error: (err as Error).message.split('\n')[0] ?? 'failed' };
  }
}
const started = Date.now();
const results: Record<string, unknown> = { machine: machine(), quick };

// The stack part first, the micro-benchmarks last: on a shared machine the end of the run is the
// quietest, and the micro-benchmarks are the most sensitive to other load.
log('starting the local stack');
const bench = await attempt('the local stack', () => startBenchStack());
if ('error' in bench) {
  results.load = results.footprint = results.dashboard = results.alertLatency = bench;
} else {
  try {
    await sleep(quick ? 2_000 : 15_000); // settle after start-up before the idle reading
    const idle = memorySnapshot(bench);
    const load = await attempt('load run', () => runLoad(bench, quick ? { rampSeconds: 5, rampConcurrencies: [2, 4], seconds: 30 } : {}));
    const { snapshots = [], ...loadFigures } = 'error' in load ? { ...load, snapshots: undefined } : load;
    results.load = loadFigures;
    results.footprint = await attempt('footprint', async () => ({ idle, underTraffic: peakMemory(snapshots), guideSizingMiB: GUIDE_SIZING_MIB, storage: await prometheusStorage(bench) }));
    // After the load run (its series are what the backfill extends) and before the API is killed.
    results.dashboard = await attempt('dashboard viewer', () => runDashboardBench(bench, quick ? { loads: 2, refreshes: 2 } : {}));
    results.alertLatency = await attempt('alert latency', () => runAlertLatency(bench, quick ? { posted: 1, kills: 1 } : {}));
  } finally {
    await bench.close();
  }
}

results.cardinality = await attempt('cardinality', () => runCardinality(quick ? { hostileRequests: 5_000 } : {}));
results.scrape = await attempt('scrape cost', () => runScrape(quick ? { trafficRequests: 300, repeats: 5, syntheticRepeats: 2 } : {}));
results.hotPath = await attempt('hot path', () => runHotPath(quick ? { iterations: 200_000, runs: 3 } : {}));
results.instrumentationCpu = await attempt('instrumentation CPU: marginal and fixed', () => runInstrumentationCpu(quick ? { seconds: 2, cycles: 2, warmupSeconds: 1 } : {}));
results.totalSeconds = Math.round((Date.now() - started) / 1000);

const json = JSON_FILE;
writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
const report = quick ? join(tmpdir(), 'samokoder-benchmarks.quick.md') : DOC;
writeReport(results as unknown as Parameters<typeof writeReport>[0], report);
log(`done in ${results.totalSeconds} s: ${json} and ${report}`);
