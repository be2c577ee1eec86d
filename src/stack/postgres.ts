/**
 * A PostgreSQL server of our own: initialised on first use, run in the foreground as the
 * `postgres` user (initdb refuses root), listening on 127.0.0.1 only, with the application role
 * and database created. Used by `npm start` (data under `.data/`) and by tests (a temp dir).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { persistentSecret } from '../private-file.ts';
import { requireBinary } from '../packages.ts';
import { startProcess, type ManagedProcess } from './process.ts';

/** A running PostgreSQL with the application's connection URL. */
export interface RunningPostgres {
  process: ManagedProcess;
  port: number;
  /** `postgresql://samokoder:...@127.0.0.1:PORT/samokoder` — contains the password: never log it. */
  databaseUrl: string;
  /** URL for postgres_exporter: the monitoring role (pg_monitor). Also secret. */
  exporterUrl: string;
}

const APP_ROLE = 'samokoder';
const EXPORTER_ROLE = 'samokoder_exporter';

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/** Reads the password kept beside the cluster, creating it (mode 0600) on first use. */
function clusterPassword(dir: string): string {
  return persistentSecret(join(dir, 'samokoder.password'), 18);
}

/**
 * Starts PostgreSQL with its cluster in `dir/data` (initialised when absent), on `port`.
 * Creates the roles and database when missing. Stop it with `process.stop()`.
 */
export async function startPostgres(dir: string, port: number, logFile?: string): Promise<RunningPostgres> {
  const user = process.getuid?.() === 0 ? postgresUser() : undefined;
  const dataDir = join(dir, 'data');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const password = clusterPassword(dir);
  if (user) chownSync(dir, user.uid, user.gid);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    execFileSync(requireBinary('initdb'), ['-D', dataDir, '--auth-local=trust', '--auth-host=scram-sha-256', '-U', 'postgres', '-E', 'UTF8'], {
      stdio: 'pipe',
      ...user,
    });
  }
  const proc = await startProcess({
    name: 'postgres',
    command: requireBinary('postgres'),
    args: ['-D', dataDir, '-c', 'listen_addresses=127.0.0.1', '-p', String(port), '-c', `unix_socket_directories=${dir}`],
    ...user,
    logFile,
    stopSignal: 'SIGINT',
    ready: async () => {
      const client = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' });
      await client.connect();
      await client.end();
      return true;
    },
  });
  try {
    await ensureRoles(dir, port, password);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  const auth = `${encodeURIComponent(password)}@127.0.0.1:${port}`;
  return {
    process: proc,
    port,
    databaseUrl: `postgresql://${APP_ROLE}:${auth}/samokoder`,
    exporterUrl: `postgresql://${EXPORTER_ROLE}:${auth}/samokoder?sslmode=disable`,
  };
}

async function ensureRoles(socketDir: string, port: number, password: string): Promise<void> {
  const admin = new pg.Client({ host: socketDir, port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  try {
    for (const [role, extra] of [[APP_ROLE, ''], [EXPORTER_ROLE, '']] as const) {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      const verb = exists.rowCount ? 'ALTER' : 'CREATE';
      await admin.query(`${verb} ROLE ${role} LOGIN PASSWORD ${admin.escapeLiteral(password)}${extra}`);
    }
    await admin.query(`GRANT pg_monitor TO ${EXPORTER_ROLE}`);
    const db = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'samokoder'");
    if (!db.rowCount) await admin.query(`CREATE DATABASE samokoder OWNER ${APP_ROLE}`);
  } finally {
    await admin.end();
  }
}
