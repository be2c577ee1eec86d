/**
 * A Redis server of our own on 127.0.0.1: persistent (append-only file) for `npm start`,
 * memory-only for tests, with or without a password.
 */
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { redisPasswordConfig } from '../monitoring/secret-formats.ts';
import { writePrivateFile } from '../private-file.ts';
import { requireBinary } from '../packages.ts';
import { startProcess, type ManagedProcess } from './process.ts';

/** A running Redis with its URL. */
export interface RunningRedis {
  process: ManagedProcess;
  port: number;
  redisUrl: string;
}

/** Resolves true when Redis at `port` answers PING with PONG (after AUTH when it has a password). */
function redisPing(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(1_000, () => socket.destroy());
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
    socket.once('connect', () => socket.write(`${password === undefined ? '' : `AUTH ${JSON.stringify(password)}\r\n`}PING\r\n`));
    socket.on('data', (data) => {
      reply += data.toString();
      if (!reply.includes('+PONG') && !reply.startsWith('-')) return;
      resolve(reply.includes('+PONG'));
      socket.end();
    });
  });
}

/**
 * Starts Redis with its files in `dir`; `persist` keeps data across restarts. With `password`,
 * clients must AUTH; it is passed in a 0600 config file, not on the command line.
 */
export async function startRedis(dir: string, port: number, options: { persist: boolean; logFile?: string; password?: string }): Promise<RunningRedis> {
  mkdirSync(dir, { recursive: true });
  const persistence = options.persist ? ['--appendonly', 'yes', '--save', '60 1'] : ['--appendonly', 'no', '--save', ''];
  const configFile = join(dir, 'redis.conf');
  writePrivateFile(configFile, options.password === undefined ? '' : redisPasswordConfig(options.password));
  const proc = await startProcess({
    name: 'redis',
    command: requireBinary('redis-server'),
    args: [configFile, '--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--protected-mode', 'yes', ...persistence],
    logFile: options.logFile,
    ready: () => redisPing(port, options.password),
  });
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  return { process: proc, port, redisUrl: `redis://${auth}127.0.0.1:${port}` };
}
