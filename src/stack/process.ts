/**
 * Child processes of the local stack: start one, wait until it is ready, notice when it dies,
 * stop it. `npm start` and the tests both go through here, so a service behaves the same in both.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How to run one program. */
export interface ProcessSpec {
  /** Short name used in messages, e.g. `postgres`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user/group id (e.g. PostgreSQL refuses root). */
  uid?: number;
  gid?: number;
  /** Append stdout and stderr here; the last lines are also kept for error messages. */
  logFile?: string;
  /** Resolves true once the program serves; polled until `readyTimeoutMs`. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Signal that stops the program cleanly (PostgreSQL: SIGINT, a fast shutdown). */
  stopSignal?: NodeJS.Signals;
}

/** A started child. `exited` resolves with its exit code (or signal name) whenever it ends. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** The signal that stops it cleanly (recorded for the next start, see leftovers.ts). */
  readonly stopSignal: NodeJS.Signals;
  readonly exited: Promise<number | string>;
  /** The last lines the program printed, for error messages. */
  tail(): string;
  /** Stops it: the stop signal, then SIGKILL after `graceMs`. Resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** A child that could not start or did not become ready; the message names it. */
export class StartError extends Error {
  override name = 'StartError';
}

const TAIL_LINES = 20;

/**
 * Removes secrets a child may print from `text`: Telegram bot tokens in Bot API URLs
 * (`/bot<token>/`, which Alertmanager 0.25 logs in full on network errors).
 */
export function redactSecrets(text: string): string {
  return text.replace(/\/bot[0-9]+:[A-Za-z0-9_-]+/g, '/bot<redacted>');
}

/** Starts `spec` and resolves once its readiness probe passes; throws {@link StartError} otherwise. */
export async function startProcess(spec: ProcessSpec): Promise<ManagedProcess> {
  const options: SpawnOptions = { cwd: spec.cwd, env: spec.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] };
  if (spec.uid !== undefined) options.uid = spec.uid;
  if (spec.gid !== undefined) options.gid = spec.gid;
  const child: ChildProcess = spawn(spec.command, spec.args, options);

  const lines: string[] = [];
  let log: WriteStream | undefined;
  if (spec.logFile) log = createWriteStream(spec.logFile, { flags: 'a' });
  // Whole lines only, so a secret split across two chunks is still redacted.
  const pending = { stdout: '', stderr: '' };
  const emit = (text: string) => {
    const clean = redactSecrets(text);
    log?.write(`${clean}\n`);
    if (clean.trim() === '') return;
    lines.push(clean);
    if (lines.length > TAIL_LINES) lines.shift();
  };
  const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const parts = (pending[stream] + chunk.toString('utf8')).split('\n');
    pending[stream] = parts.pop() ?? '';
    for (const line of parts) emit(line);
  };
  const flush = () => {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (pending[stream] !== '') emit(pending[stream]);
      pending[stream] = '';
    }
  };
  child.stdout?.on('data', collect('stdout'));
  child.stderr?.on('data', collect('stderr'));

  let ended = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      ended = true;
      lines.push(err.message);
      resolve('spawn-error');
    });
    child.once('exit', (code, signal) => {
      ended = true;
      resolve(code ?? signal ?? 'unknown');
    });
  }).finally(() => {
    flush();
    log?.end();
  });

  const tail = () => lines.join('\n');
  const managed: ManagedProcess = {
    name: spec.name,
    pid: child.pid ?? -1,
    stopSignal: spec.stopSignal ?? 'SIGTERM',
    exited,
    tail,
    async stop(graceMs = 10_000) {
      if (ended) return;
      child.kill(spec.stopSignal ?? 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + (spec.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (ended) {
      throw new StartError(`${spec.name} exited during start (${await exited}):\n${tail()}`);
    }
    if (await spec.ready().catch(() => false)) return managed;
    await sleep(100);
  }
  await managed.stop(2_000);
  throw new StartError(`${spec.name} was not ready within ${(spec.readyTimeoutMs ?? 30_000) / 1000}s:\n${tail()}`);
}

/** Readiness probe: an HTTP GET that answers 2xx. */
export function httpReady(url: string): () => Promise<boolean> {
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  };
}
