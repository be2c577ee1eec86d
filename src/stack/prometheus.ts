/**
 * Prometheus for the local stack: the runtime directory it runs from (the repository's
 * prometheus.yml and rules/ by symlink, targets/ generated from the service list), the wait for
 * every target to be up, and Prometheus duration parsing (for bounds computed from the config).
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, parseDocument, stringify, type YAMLMap, type YAMLSeq } from 'yaml';
import { withRemoteWrite } from './remote-write.ts';

/** `monitoring/prometheus/` of this checkout. */
export const PROMETHEUS_DIR = fileURLToPath(new URL('../../monitoring/prometheus/', import.meta.url));
export const PROMETHEUS_CONFIG = join(PROMETHEUS_DIR, 'prometheus.yml');
export const RULES_DIR = join(PROMETHEUS_DIR, 'rules');

/** One scrape target of a job, as a file_sd entry. */
export interface ScrapeTarget {
  job: string;
  /** host:port, or for a prober's job the URL it probes. */
  address: string;
  instance: string;
  metricsPath: string;
  /** More file_sd labels, e.g. a prober's `__prober` address and `__param_module`. */
  labels?: Record<string, string>;
}

/** Jobs of prometheus.yml (each reads targets/<job>.yml). */
export function configuredJobs(configFile = PROMETHEUS_CONFIG): string[] {
  const doc = parse(readFileSync(configFile, 'utf8')) as { scrape_configs: Array<{ job_name: string }> };
  return doc.scrape_configs.map((c) => c.job_name);
}

/** Global scrape and evaluation intervals, e.g. `{ scrape: '2s', evaluation: '2s' }`. */
export interface Intervals {
  scrape: string;
  evaluation: string;
}

/** The global intervals a Prometheus config file sets (Prometheus' defaults, 1m, when absent). */
export function globalIntervals(configFile = PROMETHEUS_CONFIG): Intervals {
  const doc = parse(readFileSync(configFile, 'utf8')) as { global?: { scrape_interval?: string; evaluation_interval?: string } };
  return { scrape: doc.global?.scrape_interval ?? '1m', evaluation: doc.global?.evaluation_interval ?? '1m' };
}

/** What a runtime copy of prometheus.yml changes; nothing by default. */
export interface RuntimeOptions {
  /** Shorter global intervals (tests). */
  intervals?: Intervals;
  /** REMOTE_WRITE_URL: long-term storage (src/stack/remote-write.ts). */
  remoteWriteUrl?: string;
  /** METRICS_TOKEN: the API's /metrics token, written to secrets/metrics-token (0600) for the API job. */
  metricsToken?: string;
}

/** The scrape job of the API, the one that needs METRICS_TOKEN. */
const API_JOB = 'samokoder-api';

/**
 * Writes the runtime directory `dir`: prometheus.yml (a symlink to the repository's file, or a
 * rendered copy with the changes of `options`), rules/ (always a symlink: the real rules), and
 * targets/<job>.yml for every job of the config (`[]` for jobs without a local target, such as
 * cadvisor). Returns the config file path.
 */
export function writePrometheusRuntime(dir: string, targets: ScrapeTarget[], options: RuntimeOptions = {}): string {
  const { intervals, remoteWriteUrl, metricsToken } = options;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'targets'), { recursive: true });
  const configFile = join(dir, 'prometheus.yml');
  const committed = readFileSync(PROMETHEUS_CONFIG, 'utf8');
  let text = committed;
  if (intervals) {
    const doc = parseDocument(text);
    doc.setIn(['global', 'scrape_interval'], intervals.scrape);
    doc.setIn(['global', 'evaluation_interval'], intervals.evaluation);
    // A timeout longer than the interval is rejected by Prometheus.
    if (parseDuration(String(doc.getIn(['global', 'scrape_timeout']))) > parseDuration(intervals.scrape)) doc.setIn(['global', 'scrape_timeout'], intervals.scrape);
    text = `# Test copy of ${PROMETHEUS_CONFIG} with shorter intervals.\n${doc.toString()}`;
  }
  text = withRemoteWrite(text, remoteWriteUrl);
  if (metricsToken) {
    const tokenFile = join(dir, 'secrets', 'metrics-token');
    mkdirSync(dirname(tokenFile), { recursive: true, mode: 0o700 });
    writeFileSync(tokenFile, metricsToken, { mode: 0o600 });
    const doc = parseDocument(text);
    const jobs = doc.get('scrape_configs') as YAMLSeq<YAMLMap>;
    const api = jobs.items.find((job) => job.get('job_name') === API_JOB);
    if (!api) throw new Error(`prometheus.yml has no ${API_JOB} job`);
    api.set('authorization', doc.createNode({ type: 'Bearer', credentials_file: tokenFile }));
    text = doc.toString();
  }
  if (text === committed) symlinkSync(PROMETHEUS_CONFIG, configFile);
  else writeFileSync(configFile, text);
  symlinkSync(RULES_DIR, join(dir, 'rules'));
  for (const job of configuredJobs()) {
    const entries = targets
      .filter((t) => t.job === job)
      .map((t) => ({ targets: [t.address], labels: { instance: t.instance, ...(t.metricsPath !== '/metrics' ? { __metrics_path__: t.metricsPath } : {}), ...t.labels } }));
    writeFileSync(join(dir, 'targets', `${job}.yml`), `# Generated by the local stack launcher (src/stack/prometheus.ts).\n${entries.length ? stringify(entries) : '[]\n'}`);
  }
  return configFile;
}

/** The `for:` of alert `name` in the rule file `file` of rules/, in milliseconds (0 without one). */
export function alertFor(name: string, file: string): number {
  const doc = parse(readFileSync(join(RULES_DIR, file), 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string; for?: string }> }> };
  const rule = doc.groups.flatMap((g) => g.rules).find((r) => r.alert === name);
  if (!rule) throw new Error(`alert ${name} not found in rules/${file}`);
  return rule.for ? parseDuration(rule.for) : 0;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A Prometheus duration (`1m30s`, `10s`, `7d`) in milliseconds; throws on anything else. */
export function parseDuration(text: string): number {
  const parts = [...String(text).matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== String(text)) throw new Error(`not a Prometheus duration: '${text}'`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] as string] as number), 0);
}

/** A target as Prometheus' /api/v1/targets reports it. */
export interface TargetState {
  job: string;
  instance: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  scrapeUrl: string;
}

/** The active targets of the Prometheus at `url`. */
export async function fetchTargets(url: string): Promise<TargetState[]> {
  const res = await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}/api/v1/targets answered ${res.status}`);
  const body = (await res.json()) as { data: { activeTargets: Array<{ labels: Record<string, string>; health: TargetState['health']; lastError: string; scrapeUrl: string }> } };
  return body.data.activeTargets.map((t) => ({ job: t.labels.job ?? '', instance: t.labels.instance ?? '', health: t.health, lastError: t.lastError, scrapeUrl: t.scrapeUrl }));
}

/**
 * Resolves once Prometheus at `url` has `expected` active targets, all up; throws after
 * `timeoutMs` naming the targets that are not.
 */
export async function waitForTargetsUp(url: string, expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: TargetState[] = [];
  while (Date.now() < deadline) {
    last = await fetchTargets(url).catch(() => last);
    if (last.length === expected && last.every((t) => t.health === 'up')) return;
    await sleep(250);
  }
  const down = last.filter((t) => t.health !== 'up').map((t) => `${t.job} (${t.scrapeUrl}): ${t.health}${t.lastError ? `, ${t.lastError}` : ''}`);
  throw new Error(`Prometheus targets not up within ${timeoutMs / 1000}s: ${down.length ? down.join('; ') : `${last.length} of ${expected} targets discovered`}`);
}
