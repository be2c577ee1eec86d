/**
 * monitoring/postgres/initdb/10-roles.sh, the script the compose postgres container runs on its
 * first start, run with psql against a real PostgreSQL 15 the way the image's entrypoint does
 * (POSTGRES_USER, POSTGRES_DB, POSTGRES_PASSWORD in the environment, the local socket): the roles
 * match the local stack's, neither is a superuser, a password with quotes survives, and the API's
 * migrations run as the application role.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { createDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { freePort } from '../../src/stack/ports.ts';
import { startPostgres } from '../../src/stack/postgres.ts';
import { tempDir } from '../support/services.ts';
import { resolvedServices, ROOT } from './support.ts';

const SCRIPT = join(ROOT, 'monitoring/postgres/initdb/10-roles.sh');
/** Quotes, a backslash and a colon: what naive SQL or psql interpolation would break on. */
const PASSWORD = `it's a "test" \\ pass:word`;

test('the compose postgres init script creates the application and exporter roles, safely quoted', async () => {
  // The script is what compose mounts into docker-entrypoint-initdb.d.
  const mount = (resolvedServices().postgres?.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === '/docker-entrypoint-initdb.d');
  assert.equal(mount?.[0], join(ROOT, 'monitoring/postgres/initdb'));
  assert.ok(existsSync(SCRIPT));

  const dir = tempDir('pg-init');
  chmodSync(dir.path, 0o711); // the postgres user must traverse it
  const socketDir = join(dir.path, 'pg');
  const port = await freePort();
  // startPostgres creates the local stack's roles; drop them so the cluster is as fresh as the
  // container's, then let the script create them.
  const server = await startPostgres(socketDir, port);
  const admin = new pg.Client({ host: socketDir, port, user: 'postgres', database: 'postgres' });
  try {
    await admin.connect();
    await admin.query('DROP DATABASE samokoder');
    await admin.query('DROP ROLE samokoder_exporter');
    await admin.query('DROP ROLE samokoder');

    const result = spawnSync('sh', [SCRIPT], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, PGHOST: socketDir, PGPORT: String(port), POSTGRES_USER: 'postgres', POSTGRES_DB: 'postgres', POSTGRES_PASSWORD: PASSWORD },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(!(result.stdout + result.stderr).includes(PASSWORD), 'the password was echoed');

    const roles = await admin.query(
      `SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, pg_has_role(rolname, 'pg_monitor', 'member') AS monitor
         FROM pg_roles WHERE rolname IN ('samokoder', 'samokoder_exporter') ORDER BY rolname`,
    );
    assert.deepEqual(roles.rows, [
      { rolname: 'samokoder', rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolcanlogin: true, monitor: false },
      { rolname: 'samokoder_exporter', rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolcanlogin: true, monitor: true },
    ]);
    const owner = await admin.query("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'samokoder'");
    assert.equal(owner.rows[0]?.owner, 'samokoder');

    // Both log in over TCP with the password (scram), as the API and the exporter do.
    const exporter = new pg.Client({ host: '127.0.0.1', port, user: 'samokoder_exporter', password: PASSWORD, database: 'samokoder' });
    await exporter.connect();
    const stats = await exporter.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'samokoder'");
    assert.ok(stats.rows[0].n >= 1);
    await exporter.end();

    const url = `postgresql://samokoder:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/samokoder`;
    const noMetrics = { observeDbQuery: () => undefined, recordDbError: () => undefined, watchPool: () => undefined };
    const db = createDatabase({ url, poolMax: 1, timeoutMs: 5_000 }, noMetrics);
    try {
      const applied = await migrate(db);
      assert.ok(applied.length > 0, 'no migration ran as the application role');
    } finally {
      await db.close();
    }
  } finally {
    await admin.end().catch(() => undefined);
    await server.process.stop();
    dir.remove();
  }
});
