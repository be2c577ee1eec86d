/**
 * The local stack, started and stopped as one: `npm start` (src/stack/main.ts) and the e2e tests
 * both call {@link startStack}. Before anything starts it validates the configuration, checks every
 * binary and every port; then it starts the services of src/stack/services.ts in order, waits for
 * each to be ready and for every Prometheus target to be up. A failure stops what was started and
 * throws: never a half-started stack. A child that dies later is reported through `onCrash`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { REPO_ROOT, TEMPLATES_DIR } from '../monitoring/paths.ts';
import { renderAlertmanagerConfig, type Channels, severityTimings } from '../monitoring/alertmanager.ts';
import { alertingSchema, apiSchema, parseEnv, stackSchema, type StackConfig } from '../config.ts';
import { requireBinary } from '../packages.ts';
import { clearRecord, recordChildren, runningLauncher, stopLeftovers } from './leftovers.ts';
import { isPortFree } from './ports.ts';
import type { ManagedProcess } from './process.ts';
import { alertFor } from '../monitoring/rules.ts';
import { globalIntervals, parseDuration, type Intervals } from '../monitoring/durations.ts';
import { waitForTargetsUp } from './prometheus.ts';
import { SERVICES, type ServiceDefinition, type ServiceName, type StackContext } from './services.ts';
import { persistentSecret, writePrivateFile } from '../private-file.ts';


export interface StackOptions {
  /** The environment (with .env already loaded); `process.env` by default. */
  env?: NodeJS.ProcessEnv;
  /** Shorter Prometheus intervals (tests); the rules stay the real ones. */
  prometheusIntervals?: Intervals;
  /** Receives the alert printer's lines; stdout by default. */
  onAlert?: (line: string) => void;
  /** A service that exits without being asked to: its name, exit code or signal, and last output lines. */
  onCrash?: (service: ServiceName, exit: number | string, tail: string) => void;
  /** Progress lines ("postgres ready"); ignored by default. */
  onProgress?: (line: string) => void;
  /** Aborting it (Ctrl+C during the start) stops what was started and rejects with a StackError. */
  signal?: AbortSignal;
}

/** A started service, for fault tests and operators. */
export interface ServiceHandle {
  readonly name: ServiceName;
  readonly process: ManagedProcess;
  /** Stops it (not reported as a crash). */
  stop(): Promise<void>;
  /** Stops it if running, and starts it again on the same port with the same data. */
  restart(): Promise<void>;
}

/** A running stack. */
export interface RunningStack {
  urls: { api: string; metrics: string; prometheus: string; alertmanager: string; dashboard: string; alertPrinter?: string };
  /** Which outlets Alertmanager's rendered config sends to. */
  channels: Channels;
  /** Renderer warnings (half-configured channels), one line each, no secrets. */
  warnings: string[];
  dataDir: string;
  logDir: string;
  alertmanagerConfigFile: string;
  prometheusConfigFile: string;
  ports: Record<ServiceName, number>;
  /** The handle of a started service; throws for one that was not started. */
  service(name: ServiceName): ServiceHandle;
  /** Started services in start order. */
  started(): ServiceName[];
  /** Stops every service, in reverse order. */
  stop(): Promise<void>;
}

/** The stack could not start; the message names the service, port or binary, never a secret. */
export class StackError extends Error {
  override name = 'StackError';
}

/** The local stack's data directory (DATA_DIR, relative to this checkout) and the directory of its services' logs. */
export function stackDirs(config: StackConfig): { dataDir: string; logDir: string } {
  const dataDir = resolve(REPO_ROOT, config.DATA_DIR);
  return { dataDir, logDir: join(dataDir, 'logs') };
}

/** The JWT secret of the local stack: JWT_SECRET, or one generated once and kept in DATA_DIR (0600). */
function jwtSecret(env: NodeJS.ProcessEnv, dataDir: string): string {
  if (env.JWT_SECRET) return env.JWT_SECRET;
  return persistentSecret(join(dataDir, 'jwt-secret'), 48);
}

/** Port of each service from the configuration (the alert printer's from ALERT_WEBHOOK_URL). */
function resolvePorts(env: NodeJS.ProcessEnv): { ports: Record<ServiceName, number>; printerPath: string; printerLocal: boolean } {
  const stack = parseEnv(stackSchema, env);
  const alerting = parseEnv(alertingSchema, env);
  const webhook = new URL(alerting.ALERT_WEBHOOK_URL);
  const byVariable: Record<string, number> = {
    ...Object.fromEntries(Object.entries(stack).filter(([, v]) => typeof v === 'number')),
    API_PORT: apiSchema.shape.API_PORT.parse(env.API_PORT),
    ALERT_WEBHOOK_URL: Number(webhook.port || (webhook.protocol === 'https:' ? 443 : 80)),
  };
  const ports = Object.fromEntries(SERVICES.map((s) => [s.name, byVariable[s.portVariable]])) as Record<ServiceName, number>;
  return { ports, printerPath: webhook.pathname, printerLocal: webhook.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(webhook.hostname) };
}

/**
 * PostgreSQL runs as the `postgres` user when we are root, so every directory above DATA_DIR must
 * let others through (x bit); /root (0700) does not. Throws naming the directory.
 */
function checkTraversable(dataDir: string): void {
  let pgUid: number;
  try {
    pgUid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  } catch {
    return; // no postgres user: startPostgres reports that
  }
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    if (existsSync(dir)) {
      const { mode, uid } = statSync(dir);
      if (!(mode & 0o001) && !(uid === pgUid && mode & 0o100)) {
        throw new StackError(
          `PostgreSQL runs as user postgres and cannot reach DATA_DIR (${dataDir}): ${dir} is not traversable by others (mode ${(mode & 0o777).toString(8)}). ` +
            `Set DATA_DIR to a directory outside it (e.g. /var/lib/samokoder), or run: chmod o+x ${dir}`,
        );
      }
    }
    if (dir === dirname(dir)) return;
  }
}

/** Throws naming the first port that is taken or used twice. */
async function checkPorts(services: ServiceDefinition[], ports: Record<ServiceName, number>): Promise<void> {
  const seen = new Map<number, ServiceDefinition>();
  for (const s of services) {
    const port = ports[s.name];
    const other = seen.get(port);
    if (other) throw new StackError(`port ${port} is configured for both ${other.name} (${other.portVariable}) and ${s.name} (${s.portVariable})`);
    seen.set(port, s);
    if (!(await isPortFree(port))) {
      throw new StackError(`port ${port} for ${s.name} is already in use on 127.0.0.1 (another program, or a stack already running); free it or set ${s.portVariable}`);
    }
  }
}

/** Starts the whole stack; see the module comment. */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const env = options.env ?? process.env;
  const progress = options.onProgress ?? (() => {});
  // Configuration first: a bad variable is reported before anything starts.
  const stack = parseEnv(stackSchema, env);
  const alerting = parseEnv(alertingSchema, env);
  const environment = apiSchema.shape.SAMOKODER_ENV.parse(env.SAMOKODER_ENV);
  const { ports, printerPath, printerLocal } = resolvePorts(env);

  const { dataDir, logDir } = stackDirs(stack);
  const dashboardUrl = `http://127.0.0.1:${ports.dashboard}`;
  // Unless DASHBOARD_URL says otherwise, the messages' dashboard links open this stack's viewer, on its port.
  const rendered = renderAlertmanagerConfig(env.DASHBOARD_URL?.trim() ? alerting : { ...alerting, DASHBOARD_URL: dashboardUrl }, { templatesDir: TEMPLATES_DIR });
  const printer = rendered.channels.webhook && printerLocal;

  const ctx: StackContext = {
    root: REPO_ROOT,
    dataDir,
    logDir,
    ports,
    stack,
    env,
    environment,
    alertmanagerConfigFile: join(dataDir, 'alertmanager', 'alertmanager.yml'),
    alertPrinterPath: printerPath,
    printAlert: options.onAlert ?? ((line) => process.stdout.write(`${line}\n`)),
    prometheusIntervals: options.prometheusIntervals,
    jwtSecret: '',
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
  };
  const services = SERVICES.filter((s) => s.enabled(ctx, { printer }));

  for (const s of services) if (s.binary !== 'node' && s.binary !== 'in-process') requireBinary(s.binary);
  const launcher = runningLauncher(dataDir);
  if (launcher) {
    throw new StackError(`another stack (launcher pid ${launcher}) is running with DATA_DIR ${dataDir}; stop it first (Ctrl+C in its terminal, or kill ${launcher})`);
  }
  const leftovers = await stopLeftovers(dataDir);
  if (leftovers.length) progress(`stopped what an earlier start that was killed left running: ${leftovers.join(', ')}`);
  await checkPorts(services, ports);
  if (process.getuid?.() === 0 && services.some((s) => s.name === 'postgres')) checkTraversable(dataDir);

  mkdirSync(logDir, { recursive: true });
  // PostgreSQL runs as the postgres user when we are root: it must be able to traverse DATA_DIR.
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o711);
  ctx.jwtSecret = jwtSecret(env, dataDir);
  writePrivateFile(ctx.alertmanagerConfigFile, rendered.yaml);

  const handles = new Map<ServiceName, ServiceHandle>();
  const expectedExit = new Set<ManagedProcess>();
  let stopping = false;

  const watch = (name: ServiceName, proc: ManagedProcess) => {
    void proc.exited.then(async (exit) => {
      // Ctrl+C reaches the children too; give the launcher's own signal handler a moment to say "stopping".
      await new Promise((r) => setTimeout(r, 300));
      if (stopping || expectedExit.has(proc)) return;
      options.onCrash?.(name, exit, proc.tail());
    });
  };

  const record = () => recordChildren(dataDir, [...handles.values()].map((h) => h.process));
  const launch = async (def: ServiceDefinition): Promise<void> => {
    const proc = await def.start(ctx);
    watch(def.name, proc);
    const handle: ServiceHandle = {
      name: def.name,
      process: proc,
      async stop() {
        expectedExit.add(handle.process);
        await handle.process.stop();
      },
      async restart() {
        await handle.stop();
        const next = await def.start(ctx);
        watch(def.name, next);
        (handle as { process: ManagedProcess }).process = next;
        record();
      },
    };
    handles.set(def.name, handle);
    record();
  };

  const stopAll = async () => {
    stopping = true;
    for (const name of [...handles.keys()].reverse()) {
      const handle = handles.get(name) as ServiceHandle;
      expectedExit.add(handle.process);
      await handle.process.stop().catch(() => {});
    }
    clearRecord(dataDir);
  };

  const prometheusUrl = `http://127.0.0.1:${ports.prometheus}`;
  try {
    for (const def of services) {
      if (options.signal?.aborted) throw new StackError('start interrupted');
      try {
        await launch(def);
      } catch (err) {
        throw new StackError(`${def.name} failed to start: ${(err as Error).message}`);
      }
      progress(`${def.name} ready`);
    }
    const scraped = services.filter((s) => s.scrape).length;
    const scrapeMs = parseDuration((options.prometheusIntervals ?? globalIntervals()).scrape);
    try {
      await waitForTargetsUp(prometheusUrl, scraped, 2 * scrapeMs + 30_000);
    } catch (err) {
      throw new StackError((err as Error).message);
    }
    if (options.signal?.aborted) throw new StackError('start interrupted');
    progress('all Prometheus targets up');
  } catch (err) {
    await stopAll();
    throw err;
  }

  return {
    urls: {
      api: `http://127.0.0.1:${ports.api}`,
      metrics: `http://127.0.0.1:${ports.api}/metrics`,
      prometheus: prometheusUrl,
      alertmanager: `http://127.0.0.1:${ports.alertmanager}`,
      dashboard: dashboardUrl,
      ...(printer ? { alertPrinter: `http://127.0.0.1:${ports.alert_printer}${printerPath}` } : {}),
    },
    channels: rendered.channels,
    warnings: rendered.warnings,
    dataDir,
    logDir,
    alertmanagerConfigFile: ctx.alertmanagerConfigFile,
    prometheusConfigFile: join(dataDir, 'prometheus-runtime', 'prometheus.yml'),
    ports,
    service(name) {
      const handle = handles.get(name);
      if (!handle) throw new Error(`service ${name} is not running in this stack`);
      return handle;
    },
    started: () => [...handles.keys()],
    stop: stopAll,
  };
}

/**
 * The longest time from the API's death to APIDown's notification that the running configs
 * allow: the failed scrape, the evaluation that sees it, `for`, the evaluation that fires, and the
 * critical route's group_wait. `npm start` tells the user; the e2e test adds a margin and waits.
 */
export function apiDownWorstCaseMs(stack: RunningStack): number {
  const intervals = globalIntervals(stack.prometheusConfigFile);
  const { groupWait } = severityTimings(readFileSync(stack.alertmanagerConfigFile, 'utf8'), 'critical');
  return parseDuration(intervals.scrape) + 2 * parseDuration(intervals.evaluation) + alertFor('APIDown', 'api.yml') + parseDuration(groupWait);
}
