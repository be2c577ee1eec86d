/**
 * `capacity [--retention 30d] [--json]`: disk and memory a Prometheus needs, from its live numbers
 * (active series, ingestion rate, bytes per sample on disk), and whether the numbers call for
 * remote storage or splitting into several Prometheus servers with federation (docs/scaling.md).
 *
 * Disk uses the operator guide's formula: samples/s × bytes/sample × retention seconds.
 */
import { parseEnv, stackSchema } from '../config.ts';
import { parseDuration } from '../monitoring/durations.ts';
import { endpoints, HttpError, request } from './endpoints.ts';
import { defineCommand } from './command.ts';

/**
 * Bytes per sample on disk until Prometheus has compacted a block (about 2-3 h after its start)
 * and can report its own: the operator guide's figure, the top of Prometheus' documented 1-2 bytes.
 */
export const DEFAULT_BYTES_PER_SAMPLE = 2;
/**
 * Memory per active (head) series: about 3 KiB of head data (labels, index, open chunks),
 * doubled because Go's garbage collector lets the heap grow to twice the live data (GOGC=100).
 */
export const MEMORY_PER_SERIES_BYTES = 6 * 1024;
/** What Prometheus 2.42 takes with almost no series (measured idle here: about 42 MiB RSS). */
export const BASE_MEMORY_BYTES = 50 * 1024 ** 2;
/** Above this retention, keep old data in remote storage (the operator guide: more than 90 days). */
export const LOCAL_RETENTION_LIMIT_SECONDS = 90 * 86_400;
/** Above this much disk, one local volume is hard to back up, move and restore: remote storage. */
export const LOCAL_DISK_LIMIT_BYTES = 500 * 1024 ** 3;
/** Above this many active series (≈6 GiB of memory, long WAL replays) split Prometheus and federate. */
export const SERIES_LIMIT = 1_000_000;
/** Above this ingestion rate, likewise (1M series scraped every 15 s is about 67k samples/s). */
export const SAMPLES_PER_SECOND_LIMIT = 200_000;

/** What the estimate starts from, as read from a live Prometheus. */
export interface CapacityInputs {
  /** `prometheus_tsdb_head_series`: active series. */
  series: number;
  /** Samples appended per second: a 5-minute rate (the last two scrapes in Prometheus' first minutes). */
  samplesPerSecond: number;
  bytesPerSample: number;
  /** False when {@link DEFAULT_BYTES_PER_SAMPLE} stands in (no block compacted yet). */
  bytesPerSampleMeasured: boolean;
  /** `process_resident_memory_bytes` of that Prometheus now, for comparison. */
  residentMemoryBytes?: number;
}

/** Disk and memory for a retention, and what the numbers call for. */
export interface CapacityEstimate {
  retentionSeconds: number;
  diskBytes: number;
  memoryBytes: number;
  /** Each reason remote storage is advised (empty: local storage suffices). */
  remoteStorage: string[];
  /** Each reason to split into several Prometheus servers with federation (empty: one suffices). */
  federation: string[];
}

/** The estimate for `inputs` kept `retentionSeconds` long. Pure. */
export function estimateCapacity(inputs: CapacityInputs, retentionSeconds: number): CapacityEstimate {
  const diskBytes = inputs.samplesPerSecond * inputs.bytesPerSample * retentionSeconds;
  const remoteStorage: string[] = [];
  if (retentionSeconds > LOCAL_RETENTION_LIMIT_SECONDS) remoteStorage.push(`retention above ${LOCAL_RETENTION_LIMIT_SECONDS / 86_400} days`);
  if (diskBytes > LOCAL_DISK_LIMIT_BYTES) remoteStorage.push(`more than ${formatBytes(LOCAL_DISK_LIMIT_BYTES)} of local disk`);
  const federation: string[] = [];
  if (inputs.series > SERIES_LIMIT) federation.push(`more than ${SERIES_LIMIT.toLocaleString('en')} active series`);
  if (inputs.samplesPerSecond > SAMPLES_PER_SECOND_LIMIT) federation.push(`more than ${SAMPLES_PER_SECOND_LIMIT.toLocaleString('en')} samples/s`);
  return { retentionSeconds, diskBytes, memoryBytes: BASE_MEMORY_BYTES + inputs.series * MEMORY_PER_SERIES_BYTES, remoteStorage, federation };
}

/** `bytes` in B, KiB, MiB, GiB or TiB with one decimal. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** A PromQL instant query's single value (the largest, if several Prometheus are scraped), or undefined. */
async function scalar(prometheusUrl: string, promql: string): Promise<number | undefined> {
  const body = (await request(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`)) as { data: { result: Array<{ value: [number, string] }> } };
  const values = body.data.result.map((r) => Number(r.value[1])).filter((v) => Number.isFinite(v));
  return values.length ? Math.max(...values) : undefined;
}

/** Prometheus cannot answer yet (it just started); the message says what to wait for. */
export class NotEnoughDataError extends Error {
  override name = 'NotEnoughDataError';
}

/**
 * Reads the inputs from the Prometheus at `prometheusUrl`, from its self-scrape (job
 * `prometheus` of prometheus.yml). Throws {@link HttpError} when unreachable and
 * {@link NotEnoughDataError} before it has scraped itself twice.
 */
export async function readCapacityInputs(prometheusUrl: string): Promise<CapacityInputs> {
  const self = '{job="prometheus"}';
  const [series, samplesPerSecond, chunkBytes, chunkSamples, residentMemoryBytes] = await Promise.all([
    scalar(prometheusUrl, `prometheus_tsdb_head_series${self}`),
    // A 5-minute rate is too low while the window is not yet full of samples (Prometheus divides
    // by the whole window): during the first minutes, the rate between the last two scrapes.
    scalar(
      prometheusUrl,
      `sum by (job, instance) (rate(prometheus_tsdb_head_samples_appended_total${self}[5m]))
         and on (job, instance) (time() - process_start_time_seconds${self} > 330)
       or sum by (job, instance) (irate(prometheus_tsdb_head_samples_appended_total${self}[5m]))`,
    ),
    scalar(prometheusUrl, `prometheus_tsdb_compaction_chunk_size_bytes_sum${self}`),
    scalar(prometheusUrl, `prometheus_tsdb_compaction_chunk_samples_sum${self}`),
    scalar(prometheusUrl, `process_resident_memory_bytes${self}`),
  ]);
  if (series === undefined || samplesPerSecond === undefined) {
    throw new NotEnoughDataError(`${prometheusUrl} has no ingestion rate yet: it needs two scrapes of itself (job "prometheus"); try again in a minute`);
  }
  const measured = chunkBytes !== undefined && chunkSamples !== undefined && chunkSamples > 0;
  return {
    series,
    samplesPerSecond,
    bytesPerSample: measured ? chunkBytes / chunkSamples : DEFAULT_BYTES_PER_SAMPLE,
    bytesPerSampleMeasured: measured,
    ...(residentMemoryBytes !== undefined ? { residentMemoryBytes } : {}),
  };
}

/** The human-readable report. */
export function formatReport(inputs: CapacityInputs, estimate: CapacityEstimate, retention: string): string[] {
  const days = (estimate.retentionSeconds / 86_400).toFixed(1).replace(/\.0$/, '');
  return [
    `Active series:     ${Math.round(inputs.series).toLocaleString('en')}`,
    `Ingestion:         ${inputs.samplesPerSecond.toFixed(1)} samples/s`,
    `Bytes per sample:  ${inputs.bytesPerSample.toFixed(2)} ${inputs.bytesPerSampleMeasured ? '(measured from compacted blocks)' : '(default: no block compacted yet, about 2-3 h after start)'}`,
    '',
    `Disk for ${retention} (${days} days): ${formatBytes(estimate.diskBytes)}`,
    `  = ${inputs.samplesPerSecond.toFixed(1)} samples/s × ${inputs.bytesPerSample.toFixed(2)} B × ${estimate.retentionSeconds} s; keep ~20% more free for the WAL and compaction`,
    `Memory:            ${formatBytes(estimate.memoryBytes)} (${formatBytes(BASE_MEMORY_BYTES)} + ${Math.round(inputs.series).toLocaleString('en')} series × ${MEMORY_PER_SERIES_BYTES / 1024} KiB)${inputs.residentMemoryBytes !== undefined ? `; now using ${formatBytes(inputs.residentMemoryBytes)}` : ''}`,
    '',
    estimate.remoteStorage.length
      ? `Remote storage:    advised (${estimate.remoteStorage.join('; ')}): set REMOTE_WRITE_URL (docs/scaling.md)`
      : `Remote storage:    not needed (up to ${LOCAL_RETENTION_LIMIT_SECONDS / 86_400} days and ${formatBytes(LOCAL_DISK_LIMIT_BYTES)} local)`,
    estimate.federation.length
      ? `Federation:        advised (${estimate.federation.join('; ')}): split by region or team and federate (docs/scaling.md)`
      : `Federation:        not needed for size (up to ${SERIES_LIMIT.toLocaleString('en')} series, ${SAMPLES_PER_SECOND_LIMIT.toLocaleString('en')} samples/s); use it for several regions`,
  ];
}

const USAGE = `Usage: npm run samokoder -- capacity [--retention 30d] [--json]

Reads active series, ingestion rate and bytes per sample from Prometheus (PROMETHEUS_URL, or
127.0.0.1:PROMETHEUS_PORT) and prints the disk and memory needed for the retention
(default PROMETHEUS_RETENTION), and whether remote storage or federation is advised.`;

/** `capacity`: the arguments after the command name in, the exit code out. */
export const capacityCommand = defineCommand({
  name: 'capacity',
  usage: USAGE,
  options: { retention: { type: 'string' }, json: { type: 'boolean' } },
  async action({ values, env, io, usageError, fail }) {
    const prometheusUrl = endpoints(env).prometheus;
    const retention = values.retention ?? parseEnv(stackSchema, env).PROMETHEUS_RETENTION;
    let retentionSeconds: number;
    try {
      retentionSeconds = parseDuration(retention) / 1000;
    } catch {
      return usageError(`--retention must be a Prometheus duration such as 30d or 12w, not '${retention}'`);
    }
    let inputs: CapacityInputs;
    try {
      inputs = await readCapacityInputs(prometheusUrl);
    } catch (err) {
      if (!(err instanceof HttpError || err instanceof NotEnoughDataError)) throw err;
      return fail(err.message);
    }
    const estimate = estimateCapacity(inputs, retentionSeconds);
    if (values.json) io.out(JSON.stringify({ retention, inputs, estimate }, null, 2));
    else for (const line of formatReport(inputs, estimate, retention)) io.out(line);
    return 0;
  },
});
