/**
 * A Redis server of our own on 127.0.0.1: persistent (append-only file) for `npm start`,
 * memory-only for tests.
 */
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { requireBinary } from './packages.ts';
import { startProcess, type ManagedProcess } from './process.ts';

/** A running Redis with its URL. */
export interface RunningRedis {
  process: ManagedProcess;
  port: number;
  redisUrl: string;
}

/** Resolves true when Redis at `port` answers PING with PONG. */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(1_000, () => socket.destroy());
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.end();
    });
  });
}

/** Starts Redis with its files in `dir`; `persist` keeps data across restarts. */
export async function startRedis(dir: string, port: number, options: { persist: boolean; logFile?: string }): Promise<RunningRedis> {
  mkdirSync(dir, { recursive: true });
  const persistence = options.persist ? ['--appendonly', 'yes', '--save', '60 1'] : ['--appendonly', 'no', '--save', ''];
  const proc = await startProcess({
    name: 'redis',
    command: requireBinary('redis-server'),
    args: ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--protected-mode', 'yes', ...persistence],
    logFile: options.logFile,
    ready: () => redisPing(port),
  });
  return { process: proc, port, redisUrl: `redis://127.0.0.1:${port}` };
}
