/**
 * THE list of the local stack's services: what each runs, on which port, with which data
 * directory, how it is known to be ready, how Prometheus scrapes it, and which docker-compose
 * service is its counterpart. `npm start`, the e2e tests and `doctor` use it; a test compares it
 * with docker-compose.yml. The order of {@link SERVICES} is the start order (dependencies first).
 */
import { join } from 'node:path';
import type { Intervals } from '../monitoring/durations.ts';
import { BLACKBOX_CONFIG } from '../monitoring/paths.ts';
import { writePrometheusRuntime, type ScrapeTarget } from '../monitoring/prometheus.ts';
import { redisPasswordFile } from '../monitoring/secret-formats.ts';
import { requireBinary, type DebianBinary } from '../packages.ts';
import { persistentSecret, writePrivateFile } from '../private-file.ts';
import { startAlertPrinter } from './alert-printer.ts';
import { startAlertmanager } from './alertmanager.ts';
import { startPostgres } from './postgres.ts';
import { freePort } from './ports.ts';
import { httpReady, startProcess, type ManagedProcess } from './process.ts';
import { startRedis } from './redis.ts';
import type { StackSettings } from './settings.ts';

export type ServiceName =
  | 'postgres'
  | 'redis'
  | 'api'
  | 'postgres_exporter'
  | 'redis_exporter'
  | 'node_exporter'
  | 'blackbox_exporter'
  | 'alert_printer'
  | 'alertmanager'
  | 'prometheus'
  | 'dashboard';

/**
 * What every service may read to start: the settings, and what the launcher derives from them.
 * Built once by the launcher (src/stack/stack.ts), never changed.
 */
export interface StackContext {
  readonly settings: StackSettings;
  /** Repository root (the API runs from here). */
  readonly root: string;
  /** Absolute DATA_DIR; every service keeps its data below it. */
  readonly dataDir: string;
  /** Absolute DATA_DIR/logs: one `<service>.log` each. */
  readonly logDir: string;
  /** Each service's port, from its port variable. */
  readonly ports: Readonly<Record<ServiceName, number>>;
  /** The rendered alertmanager.yml (mode 0600). */
  readonly alertmanagerConfigFile: string;
  /** Receives the printer's lines. */
  readonly printAlert: (line: string) => void;
  /** Shorter global intervals for tests (the rules stay the real ones). */
  readonly prometheusIntervals?: Intervals;
  /** JWT_SECRET, or the one the launcher generated and keeps in DATA_DIR. Secret. */
  readonly jwtSecret: string;
}

/**
 * What a service hands to the services that declare it in `dependsOn` (and to no other): the
 * addresses it was started on, with their generated credentials. Secret.
 */
export interface Provided {
  databaseUrl?: string;
  /** A PostgreSQL role for the exporter (pg_monitor), when the stack created one. */
  exporterDatabaseUrl?: string;
  redisUrl?: string;
}

/** A started service: its process, and what it provides. */
export interface StartedService {
  process: ManagedProcess;
  provides?: Provided;
}

/** One service of the stack. */
export interface ServiceDefinition {
  name: ServiceName;
  /** The program: a Debian binary (checked before anything starts), Node (the API), or in-process. */
  binary: DebianBinary | 'node' | 'in-process';
  /** The variable that sets its port (named in "port in use" messages). */
  portVariable: string;
  /**
   * Services that must be running first (all earlier in {@link SERVICES}); the only ones whose
   * {@link Provided} values this one receives. The launcher refuses to start it otherwise.
   */
  dependsOn: readonly ServiceName[];
  /** Its persistent data below DATA_DIR, if any. */
  dataDir?: string;
  /**
   * How Prometheus scrapes it: job of prometheus.yml, stable instance label, path. A prober
   * (blackbox_exporter) has `probe`: the URL it probes for that target, and its module.
   */
  scrape?: { job: string; instance: string; metricsPath: string; probe?: { url: (ctx: StackContext) => string; module: string } };
  /**
   * The docker-compose service that does its job, and its port inside the compose network; none for
   * local-only helpers. The same program, except the dashboard viewer's: Grafana, which draws the
   * same dashboard files.
   */
  compose?: { service: string; port: number };
  /**
   * An external service configured in its place (DATABASE_URL, REDIS_URL): what that provides.
   * The service is then not started, and its dependents get these values instead.
   */
  external?(configured: StackSettings['external']): Provided | undefined;
  /** False when not needed (the alert printer when Alertmanager sends elsewhere); started by default. */
  enabled?(options: { printer: boolean }): boolean;
  /** Starts it with what its dependencies provide, and resolves once its readiness probe passes. */
  start(ctx: StackContext, provided: Provided): Promise<StartedService>;
}

/** The value `key` of what a service's dependencies provide; throws naming what is missing. */
function needs(provided: Provided, key: keyof Provided, service: ServiceName): string {
  const value = provided[key];
  if (value === undefined) throw new Error(`${service} needs ${key}, which none of its dependencies provides`);
  return value;
}

/** A service that provides nothing to others: its process alone. */
const started = async (starting: Promise<ManagedProcess>): Promise<StartedService> => ({ process: await starting });

/** The log file of service `name` in the stack's log directory. */
export const serviceLogFile = (logDir: string, name: ServiceName) => join(logDir, `${name}.log`);
const log = (ctx: StackContext, name: ServiceName) => serviceLogFile(ctx.logDir, name);
const local = (port: number, path = '') => `http://127.0.0.1:${port}${path}`;
/** Children that need no configuration from the environment get only PATH (no secrets leak to them). */
const minimalEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin' });

/**
 * Runs `src/<script>` of this repository exactly as `tsx src/<script>` does, without a tsx wrapper
 * process in between; ready once `readyPath` on the service's port answers 2xx.
 */
function startTypeScript(ctx: StackContext, name: ServiceName, script: string, readyPath: string, env: NodeJS.ProcessEnv): Promise<ManagedProcess> {
  return startProcess({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', join(ctx.root, 'src', script)],
    cwd: ctx.root,
    env,
    logFile: log(ctx, name),
    ready: httpReady(local(ctx.ports[name], readyPath)),
    readyTimeoutMs: 60_000,
  });
}

/** Debian's node_exporter collectors that matter for a single host; the rest are slow or noisy in containers. */
const NODE_COLLECTORS = ['cpu', 'meminfo', 'filesystem', 'loadavg', 'diskstats', 'netdev', 'stat', 'time', 'uname', 'os', 'pressure'];

/** The services in start order. */
export const SERVICES: readonly ServiceDefinition[] = [
  {
    name: 'postgres',
    binary: 'postgres',
    portVariable: 'POSTGRES_PORT',
    dependsOn: [],
    dataDir: 'postgres',
    compose: { service: 'postgres', port: 5432 },
    external: ({ databaseUrl }) => (databaseUrl ? { databaseUrl } : undefined),
    async start(ctx) {
      const pg = await startPostgres(join(ctx.dataDir, 'postgres'), ctx.ports.postgres, log(ctx, 'postgres'));
      return { process: pg.process, provides: { databaseUrl: pg.databaseUrl, exporterDatabaseUrl: pg.exporterUrl } };
    },
  },
  {
    name: 'redis',
    binary: 'redis-server',
    portVariable: 'REDIS_PORT',
    dependsOn: [],
    dataDir: 'redis',
    compose: { service: 'redis', port: 6379 },
    external: ({ redisUrl }) => (redisUrl ? { redisUrl } : undefined),
    async start(ctx) {
      const dir = join(ctx.dataDir, 'redis');
      const password = persistentSecret(join(dir, 'redis.password'), 24);
      const redis = await startRedis(dir, ctx.ports.redis, { persist: true, logFile: log(ctx, 'redis'), password });
      return { process: redis.process, provides: { redisUrl: redis.redisUrl } };
    },
  },
  {
    name: 'api',
    binary: 'node',
    portVariable: 'API_PORT',
    dependsOn: ['postgres', 'redis'],
    scrape: { job: 'samokoder-api', instance: 'api', metricsPath: '/metrics' },
    compose: { service: 'api', port: 8000 },
    start: async (ctx, provided) =>
      started(startTypeScript(ctx, 'api', 'server.ts', '/health', {
        ...ctx.settings.apiEnv,
        DATABASE_URL: needs(provided, 'databaseUrl', 'api'),
        REDIS_URL: needs(provided, 'redisUrl', 'api'),
        JWT_SECRET: ctx.jwtSecret,
        API_HOST: '127.0.0.1',
        API_PORT: String(ctx.ports.api),
        SAMOKODER_ENV: ctx.settings.environment,
      })),
  },
  {
    name: 'postgres_exporter',
    binary: 'prometheus-postgres-exporter',
    portVariable: 'POSTGRES_EXPORTER_PORT',
    dependsOn: ['postgres'],
    scrape: { job: 'postgres', instance: 'postgres', metricsPath: '/metrics' },
    compose: { service: 'postgres-exporter', port: 9187 },
    start: (ctx, provided) =>
      started(startProcess({
        name: 'postgres_exporter',
        command: requireBinary('prometheus-postgres-exporter'),
        args: [`--web.listen-address=127.0.0.1:${ctx.ports.postgres_exporter}`],
        // An external database is monitored with the application's own URL (pg_monitor is advisable).
        env: { ...minimalEnv(), DATA_SOURCE_NAME: provided.exporterDatabaseUrl ?? needs(provided, 'databaseUrl', 'postgres_exporter') },
        logFile: log(ctx, 'postgres_exporter'),
        ready: httpReady(local(ctx.ports.postgres_exporter, '/metrics')),
      })),
  },
  {
    name: 'redis_exporter',
    binary: 'prometheus-redis-exporter',
    portVariable: 'REDIS_EXPORTER_PORT',
    dependsOn: ['redis'],
    scrape: { job: 'redis', instance: 'redis', metricsPath: '/metrics' },
    compose: { service: 'redis-exporter', port: 9121 },
    start(ctx, provided) {
      // Credentials never on the command line (`ps` shows it to every user): the password goes
      // in a 0600 file of the format compose's exporter reads, the user in the environment.
      const url = new URL(needs(provided, 'redisUrl', 'redis_exporter'));
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      url.username = '';
      url.password = '';
      const address = url.toString();
      const env: NodeJS.ProcessEnv = { ...minimalEnv(), ...(user ? { REDIS_USER: user } : {}) };
      if (password) {
        env.REDIS_PASSWORD_FILE = join(ctx.dataDir, 'redis_exporter', 'password.json');
        writePrivateFile(env.REDIS_PASSWORD_FILE, redisPasswordFile(address, password));
      }
      return started(startProcess({
        name: 'redis_exporter',
        command: requireBinary('prometheus-redis-exporter'),
        args: [`-redis.addr=${address}`, `-web.listen-address=127.0.0.1:${ctx.ports.redis_exporter}`],
        env,
        logFile: log(ctx, 'redis_exporter'),
        ready: httpReady(local(ctx.ports.redis_exporter, '/metrics')),
      }));
    },
  },
  {
    name: 'node_exporter',
    binary: 'prometheus-node-exporter',
    portVariable: 'NODE_EXPORTER_PORT',
    dependsOn: [],
    scrape: { job: 'node', instance: 'node', metricsPath: '/metrics' },
    compose: { service: 'node-exporter', port: 9100 },
    start: (ctx) =>
      started(startProcess({
        name: 'node_exporter',
        command: requireBinary('prometheus-node-exporter'),
        args: [`--web.listen-address=127.0.0.1:${ctx.ports.node_exporter}`, '--collector.disable-defaults', ...NODE_COLLECTORS.map((c) => `--collector.${c}`)],
        env: minimalEnv(),
        logFile: log(ctx, 'node_exporter'),
        ready: httpReady(local(ctx.ports.node_exporter, '/metrics')),
      })),
  },
  {
    name: 'blackbox_exporter',
    binary: 'prometheus-blackbox-exporter',
    portVariable: 'BLACKBOX_EXPORTER_PORT',
    dependsOn: ['api'],
    // The API as its users reach it (compose probes through nginx); `instance` is the API's.
    scrape: { job: 'blackbox', instance: 'api', metricsPath: '/probe', probe: { url: (ctx) => local(ctx.ports.api, '/health'), module: 'http_health' } },
    compose: { service: 'blackbox-exporter', port: 9115 },
    start: (ctx) =>
      started(startProcess({
        name: 'blackbox_exporter',
        command: requireBinary('prometheus-blackbox-exporter'),
        args: [`--config.file=${BLACKBOX_CONFIG}`, `--web.listen-address=127.0.0.1:${ctx.ports.blackbox_exporter}`],
        env: minimalEnv(),
        logFile: log(ctx, 'blackbox_exporter'),
        ready: httpReady(local(ctx.ports.blackbox_exporter, '/-/healthy')),
      })),
  },
  {
    name: 'alert_printer',
    binary: 'in-process',
    portVariable: 'ALERT_WEBHOOK_URL',
    dependsOn: [],
    // Only when Alertmanager sends to the webhook (no channel configured) at a local address.
    enabled: (options) => options.printer,
    async start(ctx) {
      const printer = await startAlertPrinter(ctx.ports.alert_printer, ctx.settings.alertPrinter.path, ctx.printAlert);
      let closed!: (code: number) => void;
      const exited = new Promise<number | string>((resolve) => (closed = resolve));
      const printerProcess: ManagedProcess = {
        name: 'alert_printer',
        pid: process.pid, // in the launcher itself: never recorded as a leftover
        stopSignal: 'SIGTERM',
        exited,
        tail: () => '',
        async stop() {
          await printer.close();
          closed(0);
        },
      };
      return { process: printerProcess };
    },
  },
  {
    name: 'alertmanager',
    binary: 'prometheus-alertmanager',
    portVariable: 'ALERTMANAGER_PORT',
    dependsOn: [],
    dataDir: 'alertmanager',
    scrape: { job: 'alertmanager', instance: 'alertmanager', metricsPath: '/metrics' },
    compose: { service: 'alertmanager', port: 9093 },
    async start(ctx) {
      const am = await startAlertmanager({
        configFile: ctx.alertmanagerConfigFile,
        dataDir: join(ctx.dataDir, 'alertmanager', 'storage'),
        port: ctx.ports.alertmanager,
        logFile: log(ctx, 'alertmanager'),
      });
      return { process: am.process };
    },
  },
  {
    name: 'prometheus',
    binary: 'prometheus',
    portVariable: 'PROMETHEUS_PORT',
    dependsOn: ['api', 'postgres_exporter', 'redis_exporter', 'node_exporter', 'blackbox_exporter', 'alertmanager'],
    dataDir: 'prometheus',
    scrape: { job: 'prometheus', instance: 'prometheus', metricsPath: '/metrics' },
    compose: { service: 'prometheus', port: 9090 },
    start(ctx) {
      const configFile = writePrometheusRuntime(join(ctx.dataDir, 'prometheus-runtime'), scrapeTargets(ctx), {
        intervals: ctx.prometheusIntervals,
        remoteWriteUrl: ctx.settings.stack.REMOTE_WRITE_URL,
        metricsToken: ctx.settings.metricsToken,
      });
      return started(startProcess({
        name: 'prometheus',
        command: requireBinary('prometheus'),
        args: prometheusArgs(ctx, configFile),
        env: { ...minimalEnv(), SAMOKODER_ENV: ctx.settings.environment, REGION: ctx.settings.stack.REGION },
        logFile: log(ctx, 'prometheus'),
        ready: httpReady(local(ctx.ports.prometheus, '/-/ready')),
        readyTimeoutMs: 60_000, // replaying a large WAL after a restart takes a while
      }));
    },
  },
  {
    name: 'dashboard',
    binary: 'node',
    portVariable: 'DASHBOARD_PORT',
    dependsOn: ['prometheus'],
    compose: { service: 'grafana', port: 3000 },
    start: (ctx) =>
      started(startTypeScript(ctx, 'dashboard', 'dashboard-viewer/server.ts', '/api/health', {
        ...minimalEnv(),
        DASHBOARD_PORT: String(ctx.ports.dashboard),
        PROMETHEUS_URL: local(ctx.ports.prometheus),
      })),
  },
];

/** Prometheus' command line for the local stack. */
export function prometheusArgs(ctx: StackContext, configFile: string): string[] {
  return [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(ctx.dataDir, 'prometheus')}`,
    `--storage.tsdb.retention.time=${ctx.settings.stack.PROMETHEUS_RETENTION}`,
    `--storage.tsdb.retention.size=${ctx.settings.stack.PROMETHEUS_RETENTION_SIZE}`,
    `--web.listen-address=127.0.0.1:${ctx.ports.prometheus}`,
    `--web.external-url=${local(ctx.ports.prometheus)}`,
    '--enable-feature=expand-external-labels',
    '--web.enable-lifecycle',
  ];
}

/** The file_sd targets of the local stack: one per service that Prometheus scrapes. */
export function scrapeTargets(ctx: StackContext): ScrapeTarget[] {
  return SERVICES.flatMap((s) => {
    if (!s.scrape) return [];
    const { job, instance, metricsPath, probe } = s.scrape;
    const own = `127.0.0.1:${ctx.ports[s.name]}`;
    if (!probe) return [{ job, instance, metricsPath, address: own }];
    return [{ job, instance, metricsPath, address: probe.url(ctx), labels: { __prober: own, __param_module: probe.module } }];
  });
}

/**
 * A free loopback port for every service whose port is a `*_PORT` variable, as environment
 * entries (`{ API_PORT: '41234', ... }`): how tests and benchmarks run a stack beside another.
 */
export async function freeServicePorts(): Promise<Record<string, string>> {
  const variables = SERVICES.map((s) => s.portVariable).filter((v) => v.endsWith('_PORT'));
  return Object.fromEntries(await Promise.all(variables.map(async (name) => [name, String(await freePort())])));
}
