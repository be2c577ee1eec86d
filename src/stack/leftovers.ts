/**
 * Processes that an earlier stack left running because its launcher was killed (SIGKILL, the OOM
 * killer): they hold the ports and the data directories, so the next `npm start` would only say
 * "port in use". The stack records its children in DATA_DIR/stack.pids as they start; the next
 * start on the same DATA_DIR stops the recorded children that still run, and refuses to start
 * while the recorded launcher itself still runs. A process counts as the recorded one only when
 * its pid *and* its start time match (/proc/<pid>/stat), so a reused pid is never signalled.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writePrivateFile } from '../private-file.ts';
import type { ManagedProcess } from './process.ts';

/** One recorded process: pid plus start time identify it. */
interface ProcessRecord {
  pid: number;
  /** Clock ticks after boot (field 22 of /proc/<pid>/stat). */
  startTime: number;
}

interface ChildRecord extends ProcessRecord {
  name: string;
  stopSignal: NodeJS.Signals;
}

interface PidFile {
  launcher: ProcessRecord;
  children: ChildRecord[];
}

const pidFile = (dataDir: string) => join(dataDir, 'stack.pids');

/** The start time of `pid`, or undefined when no such process runs (a zombie has ended). */
function startTimeOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : Number(fields[19]);
  } catch {
    return undefined;
  }
}

const running = (record: ProcessRecord) => startTimeOf(record.pid) === record.startTime;

/** Records the launcher (this process) and `children` in DATA_DIR/stack.pids. */
export function recordChildren(dataDir: string, children: readonly ManagedProcess[]): void {
  const record: PidFile = {
    launcher: { pid: process.pid, startTime: startTimeOf(process.pid) ?? -1 },
    children: children
      .filter((c) => c.pid > 0 && c.pid !== process.pid)
      .map((c) => ({ name: c.name, pid: c.pid, startTime: startTimeOf(c.pid) ?? -1, stopSignal: c.stopSignal })),
  };
  writePrivateFile(pidFile(dataDir), JSON.stringify(record));
}

/** Forgets the record (the stack stopped cleanly). */
export function clearRecord(dataDir: string): void {
  rmSync(pidFile(dataDir), { force: true });
}

/** The launcher of a stack that still runs on `dataDir`, if any. */
export function runningLauncher(dataDir: string): number | undefined {
  const record = readRecord(dataDir);
  return record && record.launcher.pid !== process.pid && running(record.launcher) ? record.launcher.pid : undefined;
}

function readRecord(dataDir: string): PidFile | undefined {
  if (!existsSync(pidFile(dataDir))) return undefined;
  try {
    return JSON.parse(readFileSync(pidFile(dataDir), 'utf8')) as PidFile;
  } catch {
    return undefined; // torn by the kill: nothing to trust in it
  }
}

/**
 * Stops the children an earlier, killed launcher left on `dataDir` (each with its own stop
 * signal, then SIGKILL after `graceMs`) and forgets them. Returns the names of those stopped.
 * Call {@link runningLauncher} first: a live launcher's children are not leftovers.
 */
export async function stopLeftovers(dataDir: string, graceMs = 15_000): Promise<string[]> {
  const record = readRecord(dataDir);
  const alive = (record?.children ?? []).filter(running);
  for (const child of alive) process.kill(child.pid, child.stopSignal);
  const deadline = Date.now() + graceMs;
  while (alive.some(running) && Date.now() < deadline) await sleep(100);
  for (const child of alive.filter(running)) process.kill(child.pid, 'SIGKILL');
  for (let i = 0; i < 100 && alive.some(running); i++) await sleep(50);
  clearRecord(dataDir);
  return alive.map((c) => c.name);
}
