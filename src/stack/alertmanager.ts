/**
 * An Alertmanager of our own (Debian's `prometheus-alertmanager`) on 127.0.0.1 with a rendered
 * config (src/alerting/render.ts). `npm start` and the notification tests both start it here.
 */
import { mkdirSync } from 'node:fs';
import { requireBinary } from './packages.ts';
import { httpReady, startProcess, type ManagedProcess } from './process.ts';

/** A running Alertmanager and its local base URL (`/api/v2/alerts` etc. hang off it). */
export interface RunningAlertmanager {
  process: ManagedProcess;
  port: number;
  url: string;
}

export interface AlertmanagerOptions {
  /** The rendered alertmanager.yml (mode 0600). */
  configFile: string;
  /** `--storage.path`: silences and the notification log, kept across restarts when persistent. */
  dataDir: string;
  port: number;
  /** The URL people open (links in messages); `http://127.0.0.1:<port>` by default. */
  externalUrl?: string;
  logFile?: string;
}

/** The command-line flags for `options`, for `npm start`, the tests and the docs alike. */
export function alertmanagerArgs(options: AlertmanagerOptions): string[] {
  return [
    `--config.file=${options.configFile}`,
    `--storage.path=${options.dataDir}`,
    `--web.listen-address=127.0.0.1:${options.port}`,
    `--web.external-url=${options.externalUrl ?? `http://127.0.0.1:${options.port}`}`,
    // One instance: an empty address turns clustering (gossip on 0.0.0.0:9094) off.
    '--cluster.listen-address=',
  ];
}

/** Starts Alertmanager and resolves once `/-/ready` answers. */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<RunningAlertmanager> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // Alertmanager serves under the external URL's path (its default route prefix).
  const prefix = options.externalUrl ? new URL(options.externalUrl).pathname.replace(/\/+$/, '') : '';
  const url = `http://127.0.0.1:${options.port}${prefix}`;
  const proc = await startProcess({
    name: 'alertmanager',
    command: requireBinary('prometheus-alertmanager'),
    args: alertmanagerArgs(options),
    logFile: options.logFile,
    ready: httpReady(`${url}/-/ready`),
  });
  return { process: proc, port: options.port, url };
}
