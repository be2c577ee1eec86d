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

/** A test server: `restart()` starts it again on the same port and data; `stop()` also deletes its files. */
type TestServer<T> = T & { restart: () => Promise<void>; stop: () => Promise<void> };

async function testServer<T extends { process: { stop: () => Promise<void> } }>(
  prefix: string,
  start: (dir: string, port: number) => Promise<T>,
): Promise<TestServer<T>> {
  const dir = tempDir(prefix);
  chmodSync(dir.path, 0o711); // the postgres user must traverse it
  const port = await freePort();
  const server = (await start(join(dir.path, 'data'), port)) as TestServer<T>;
  server.restart = async () => {
    await server.process.stop();
    Object.assign(server, await start(join(dir.path, 'data'), port));
  };
  server.stop = async () => {
    await server.process.stop();
    dir.remove();
  };
  return server;
}

/** A test PostgreSQL. */
export function testPostgres(): Promise<TestServer<RunningPostgres>> {
  return testServer('pg', (dir, port) => startPostgres(dir, port));
}

/** A test Redis (memory only), with a password when given. */
export function testRedis(options: { password?: string } = {}): Promise<TestServer<RunningRedis>> {
  return testServer('redis', (dir, port) => startRedis(dir, port, { persist: false, password: options.password }));
}
