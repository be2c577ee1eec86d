/**
 * Throwaway PostgreSQL and Redis for tests, started by the same code as `npm start`, on free
 * loopback ports in temp directories that are removed afterwards.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/stack/ports.ts';
import { startPostgres, type RunningPostgres } from '../../src/stack/postgres.ts';
import { startRedis, type RunningRedis } from '../../src/stack/redis.ts';

/** A temp dir removed by the returned cleanup. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `samokoder-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A test PostgreSQL; `stop()` stops it and deletes its files. */
export async function testPostgres(): Promise<RunningPostgres & { stop: () => Promise<void> }> {
  const dir = tempDir('pg');
  chmodSync(dir.path, 0o711); // the postgres user must traverse it
  const running = await startPostgres(join(dir.path, 'pg'), await freePort());
  return { ...running, stop: async () => { await running.process.stop(); dir.remove(); } };
}

/** A test Redis; `stop()` stops it and deletes its files. */
export async function testRedis(): Promise<RunningRedis & { stop: () => Promise<void> }> {
  const dir = tempDir('redis');
  const running = await startRedis(dir.path, await freePort(), { persist: false });
  return { ...running, stop: async () => { await running.process.stop(); dir.remove(); } };
}
