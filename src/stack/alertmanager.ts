/**
 * An Alertmanager of our own (Debian's `prometheus-alertmanager`) on 127.0.0.1 with a rendered
 * config (src/monitoring/alertmanager.ts). `npm start` and the notification tests both start it here.
 */
import { mkdirSync } from 'node:fs';
import { requireBinary } from '../packages.ts';
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
  /**
   * High availability: gossip with the other instances on 127.0.0.1:`listenPort`, peers as
   * `host:port`. Unset: one instance, clustering off.
   */
  cluster?: AlertmanagerCluster;
}

/** The gossip settings of one member of an Alertmanager cluster. */
export interface AlertmanagerCluster {
  listenPort: number;
  /** The other members' gossip addresses (`127.0.0.1:<port>`). */
  peers: string[];
  /** `--cluster.settle-timeout`: how long a starting member waits for gossip to settle (default 1m). */
  settleTimeout?: string;
  /**
   * `--cluster.peer-timeout` (default 15s): member N waits N times this before sending, so it can
   * see in the gossiped notification log that an earlier member already sent (deduplication).
   */
  peerTimeout?: string;
}

/** The command-line flags for `options`, for `npm start`, the tests and the docs alike. */
export function alertmanagerArgs(options: AlertmanagerOptions): string[] {
  return [
    `--config.file=${options.configFile}`,
    `--storage.path=${options.dataDir}`,
    `--web.listen-address=127.0.0.1:${options.port}`,
    `--web.external-url=${options.externalUrl ?? `http://127.0.0.1:${options.port}`}`,
    ...clusterArgs(options.cluster),
  ];
}

function clusterArgs(cluster: AlertmanagerCluster | undefined): string[] {
  // One instance: an empty address turns clustering (gossip on 0.0.0.0:9094) off.
  if (!cluster) return ['--cluster.listen-address='];
  return [
    `--cluster.listen-address=127.0.0.1:${cluster.listenPort}`,
    ...cluster.peers.map((peer) => `--cluster.peer=${peer}`),
    ...(cluster.settleTimeout ? [`--cluster.settle-timeout=${cluster.settleTimeout}`] : []),
    ...(cluster.peerTimeout ? [`--cluster.peer-timeout=${cluster.peerTimeout}`] : []),
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
