/**
 * Applies the SQL files in `migrations/` in name order, each once, inside a transaction, under an
 * advisory lock so that several API instances starting together do not race.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const LOCK_ID = 727_001;

/** Applies pending migrations; returns the names it applied. */
export async function migrate(db: Pick<Database, 'transaction'>): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
  return db.transaction(async (q) => {
    await q('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    await q('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await q<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    const applied: string[] = [];
    for (const file of files.filter((f) => !done.has(f))) {
      await q(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'));
      await q('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
      applied.push(file);
    }
    return applied;
  });
}
