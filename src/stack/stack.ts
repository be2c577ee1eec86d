/**
 * The local stack, started and stopped as one: `npm start` (src/stack/main.ts) and the e2e tests
 * both call {@link startStack} with the settings parsed from the environment once
 * (src/stack/settings.ts). Before anything starts it checks every binary, every port and every
 * declared dependency; then it starts the services of src/stack/services.ts in order, hands each
 * what its dependencies provide, waits for each to be ready and for every Prometheus target to be
 * up. A failure stops what was started and throws: never a half-started stack. A child that dies
 * later is reported through `onCrash`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { REPO_ROOT, TEMPLATES_DIR } from '../monitoring/paths.ts';
import { renderAlertmanagerConfig, type Channels, severityTimings } from '../monitoring/alertmanager.ts';
import type { StackConfig } from '../config.ts';
import { requireBinary } from '../packages.ts';
import { clearRecord, recordChildren, runningLauncher, stopLeftovers } from './leftovers.ts';
import { isPortFree } from './ports.ts';
import type { ManagedProcess } from './process.ts';
import { alertFor } from '../monitoring/rules.ts';
import { globalIntervals, parseDuration, type Intervals } from '../monitoring/durations.ts';
import { waitForTargetsUp } from './prometheus.ts';
import { SERVICES, type Provided, type ServiceDefinition, type ServiceName, type StackContext } from './services.ts';
import type { StackSettings } from './settings.ts';
import { persistentSecret, writePrivateFile } from '../private-file.ts';


export interface StackOptions {
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

/**
 * Throws unless each service's dependencies come before it: started earlier, or replaced by an
 * external service that provides the same.
 */
export function checkDependencies(services: readonly Pick<ServiceDefinition, 'name' | 'dependsOn'>[], external: ReadonlySet<ServiceName>): void {
  const before = new Set<ServiceName>(external);
  for (const s of services) {
    const missing = s.dependsOn.filter((d) => !before.has(d));
    if (missing.length) throw new StackError(`${s.name} depends on ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not started before it`);
    before.add(s.name);
  }
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

/** What the services `def` declares in `dependsOn` provide: those values, and no other service's. */
export function providedTo(def: Pick<ServiceDefinition, 'dependsOn'>, provided: ReadonlyMap<ServiceName, Provided>): Provided {
  return Object.assign({}, ...def.dependsOn.map((d) => provided.get(d) ?? {}));
}

/** Starts the whole stack; see the module comment. */
export async function startStack(settings: StackSettings, options: StackOptions = {}): Promise<RunningStack> {
  const progress = options.onProgress ?? (() => {});
  const { alerting } = settings;
  const ports = Object.fromEntries(SERVICES.map((s) => [s.name, settings.portsByVariable[s.portVariable]])) as Record<ServiceName, number>;
  const { dataDir, logDir } = stackDirs(settings.stack);
  const dashboardUrl = `http://127.0.0.1:${ports.dashboard}`;
  // Unless DASHBOARD_URL says otherwise, the messages' dashboard links open this stack's viewer, on its port.
  const rendered = renderAlertmanagerConfig(settings.dashboardUrlSet ? alerting : { ...alerting, DASHBOARD_URL: dashboardUrl }, { templatesDir: TEMPLATES_DIR });
  const printer = rendered.channels.webhook && settings.alertPrinter.local;
  const alertmanagerConfigFile = join(dataDir, 'alertmanager', 'alertmanager.yml');

  // What external services provide in place of the stack's own; those are not started.
  const provided = new Map<ServiceName, Provided>();
  for (const s of SERVICES) {
    const external = s.external?.(settings.external);
    if (external) provided.set(s.name, external);
  }
  const services = SERVICES.filter((s) => !provided.has(s.name) && (s.enabled?.({ printer }) ?? true));
  checkDependencies(services, new Set(provided.keys()));

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
  // The JWT secret: JWT_SECRET, or one generated once and kept in DATA_DIR (0600).
  const ctx: StackContext = {
    settings,
    root: REPO_ROOT,
    dataDir,
    logDir,
    ports,
    alertmanagerConfigFile,
    printAlert: options.onAlert ?? ((line) => process.stdout.write(`${line}\n`)),
    prometheusIntervals: options.prometheusIntervals,
    jwtSecret: settings.jwtSecret ?? persistentSecret(join(dataDir, 'jwt-secret'), 48),
  };
  writePrivateFile(alertmanagerConfigFile, rendered.yaml);

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
    const inputs = providedTo(def, provided);
    const { process: proc, provides } = await def.start(ctx, inputs);
    if (provides) provided.set(def.name, provides);
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
        const { process: next } = await def.start(ctx, inputs);
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
      ...(printer ? { alertPrinter: `http://127.0.0.1:${ports.alert_printer}${settings.alertPrinter.path}` } : {}),
    },
    channels: rendered.channels,
    warnings: rendered.warnings,
    dataDir,
    logDir,
    alertmanagerConfigFile,
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
