/**
 * Benchmark 6, footprint: memory of every process of the local stack, idle and under traffic,
 * against the operator guide's sizing table; Prometheus' bytes per sample and the operator guide's disk formula
 * (`samples/s × bytes/sample × retention`) filled in with the measured series count and the
 * configured scrape interval and retention.
 *
 * Memory is RSS of the service's main process and PSS (proportional set size: shared pages split
 * between the processes sharing them) summed over its process tree, which is what PostgreSQL's
 * backends really cost; both from /proc.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv, stackSchema } from '../src/config.ts';
import { parseDuration } from '../src/monitoring/durations.ts';
import type { ServiceName } from '../src/stack/services.ts';
import { promQuery, type BenchStack } from './bench-stack.ts';
import { round, rssMiB } from './lib.ts';

/** The operator guide's "minimum requirements" (docs/monitoring.md), MiB. Grafana does not run locally. */
export const GUIDE_SIZING_MIB: Partial<Record<ServiceName | 'grafana', number>> = { prometheus: 2048, grafana: 512, alertmanager: 256 };

/** `pid` and all its descendants. */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length && tree.length < 1_000; i++) tree.push(...(parents.get(tree[i] as number) ?? []));
  return tree;
}

function pssMiB(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

export interface ServiceMemory {
  rssMiB: number;
  treePssMiB: number;
  processes: number;
}

/** One memory reading of every started service that is its own process. */
export function memorySnapshot(bench: BenchStack): Partial<Record<ServiceName, ServiceMemory>> {
  const out: Partial<Record<ServiceName, ServiceMemory>> = {};
  for (const name of bench.stack.started()) {
    const pid = bench.stack.service(name).process.pid;
    if (pid === process.pid) continue; // in-process helper
    const tree = processTree(pid);
    out[name] = { rssMiB: rssMiB(pid) ?? 0, treePssMiB: round(tree.reduce((sum, p) => sum + pssMiB(p), 0), 1), processes: tree.length };
  }
  return out;
}

/** The larger reading of each service over `snapshots`. */
export function peakMemory(snapshots: Array<Partial<Record<ServiceName, ServiceMemory>>>): Partial<Record<ServiceName, ServiceMemory>> {
  const peak: Partial<Record<ServiceName, ServiceMemory>> = {};
  for (const snap of snapshots) {
    for (const [name, m] of Object.entries(snap) as Array<[ServiceName, ServiceMemory]>) {
      const p = peak[name];
      peak[name] = p ? { rssMiB: Math.max(p.rssMiB, m.rssMiB), treePssMiB: Math.max(p.treePssMiB, m.treePssMiB), processes: Math.max(p.processes, m.processes) } : m;
    }
  }
  return peak;
}

/** Total size of the files below `dir` (0 when it does not exist); bounded depth. */
function dirBytes(dir: string, depth = 0): number {
  let total = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    const st = statSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory() && depth < 4) total += dirBytes(path, depth + 1);
    else if (st?.isFile()) total += st.size;
  }
  return total;
}

export interface StorageResult {
  headSeries: number;
  samokoderSeries: number;
  samplesAppended: number;
  walBytes: number;
  headChunksBytes: number;
  /** (WAL + head chunk files) / samples appended: the on-disk cost before compaction (an upper bound). */
  bytesPerSampleUncompacted: number;
  scrapeIntervalSeconds: number;
  retention: string;
  /** The operator guide's formula with our numbers: samples/s × bytes/sample × retention. */
  disk: { samplesPerSecond: number; bytesPerSample: number; retentionSeconds: number; gib: number; note: string };
  guideExample: string;
}

/** Prometheus' own TSDB metrics, and the operator guide's disk formula filled in. */
export async function prometheusStorage(bench: BenchStack): Promise<StorageResult> {
  const one = async (q: string) => (await promQuery(bench.stack, q))[0] ?? Number.NaN;
  const headSeries = await one('prometheus_tsdb_head_series');
  const samokoderSeries = await one('count({__name__=~"samokoder_.+"})');
  const samplesAppended = await one('sum(prometheus_tsdb_head_samples_appended_total)');
  // On disk: Prometheus 2.42 exports no WAL size metric.
  const tsdb = join(bench.stack.dataDir, 'prometheus');
  const walBytes = dirBytes(join(tsdb, 'wal'));
  const headChunksBytes = dirBytes(join(tsdb, 'chunks_head'));
  const retention = parseEnv(stackSchema, {}).PROMETHEUS_RETENTION;
  const retentionSeconds = parseDuration(retention) / 1000;
  const scrapeIntervalSeconds = bench.intervals.scrape / 1000;
  const bytesPerSampleUncompacted = (walBytes + headChunksBytes) / samplesAppended;
  // Compacted blocks use ~1.3-2 bytes per sample (Prometheus' storage docs); the operator guide's formula uses 2.
  const bytesPerSample = 2;
  const samplesPerSecond = headSeries / scrapeIntervalSeconds;
  return {
    headSeries,
    samokoderSeries,
    samplesAppended,
    walBytes,
    headChunksBytes,
    bytesPerSampleUncompacted: round(bytesPerSampleUncompacted, 1),
    scrapeIntervalSeconds,
    retention,
    disk: {
      samplesPerSecond: round(samplesPerSecond, 1),
      bytesPerSample,
      retentionSeconds,
      gib: round((samplesPerSecond * bytesPerSample * retentionSeconds) / 2 ** 30, 3),
      note: 'compacted blocks; the WAL and head add roughly 2-3 h of samples at the uncompacted rate',
    },
    guideExample: '1000 samples/s × 2 B × 30 d ≈ 5 GB',
  };
}
