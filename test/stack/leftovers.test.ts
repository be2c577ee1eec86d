import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { recordChildren, runningLauncher, stopLeftovers } from '../../src/stack/leftovers.ts';
import type { ManagedProcess } from '../../src/stack/process.ts';
import { tempDir } from '../support/services.ts';

const dir = tempDir('leftovers');
const sleepers: ChildProcess[] = [];
after(() => {
  for (const s of sleepers) s.kill('SIGKILL');
  dir.remove();
});

/** A long-running child standing in for a service. */
function sleeper(): { child: ChildProcess; managed: ManagedProcess; exited: Promise<string | null> } {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  sleepers.push(child);
  const exited = new Promise<string | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const managed = { name: 'sleeper', pid: child.pid as number, stopSignal: 'SIGINT', exited: exited.then((s) => s ?? 0), tail: () => '', stop: async () => {} } satisfies ManagedProcess;
  return { child, managed, exited };
}

type Record = { launcher: { pid: number; startTime: number }; children: Array<{ pid: number; startTime: number }> };

/** Rewrites the record as a test scenario needs it. */
function patch(dataDir: string, change: (record: Record) => void): void {
  const file = join(dataDir, 'stack.pids');
  const record = JSON.parse(readFileSync(file, 'utf8')) as Record;
  change(record);
  writeFileSync(file, JSON.stringify(record));
}

const DEAD_LAUNCHER = { pid: 2 ** 22 + 1, startTime: 1 }; // above pid_max: never a process

test("a killed launcher's children are stopped with their own stop signal, and the record forgotten", async () => {
  const data = join(dir.path, 'killed');
  const { managed, exited } = sleeper();
  recordChildren(data, [managed]);
  patch(data, (r) => (r.launcher = DEAD_LAUNCHER));
  assert.equal(runningLauncher(data), undefined);
  assert.deepEqual(await stopLeftovers(data), ['sleeper']);
  assert.equal(await exited, 'SIGINT');
  assert.equal(existsSync(join(data, 'stack.pids')), false);
  assert.deepEqual(await stopLeftovers(data), [], 'nothing left the second time');
});

test('a recorded pid now used by another process (another start time) is never signalled', async () => {
  const data = join(dir.path, 'reused');
  const { child, managed } = sleeper();
  recordChildren(data, [managed]);
  patch(data, (r) => {
    r.launcher = DEAD_LAUNCHER;
    (r.children[0] as { startTime: number }).startTime -= 1;
  });
  assert.deepEqual(await stopLeftovers(data), []);
  assert.equal(child.exitCode, null);
  assert.equal(child.signalCode, null);
});

test('a launcher that still runs is reported, so a second stack on the same DATA_DIR is refused', () => {
  const data = join(dir.path, 'live');
  const { child, managed } = sleeper();
  recordChildren(data, [managed]);
  patch(data, (r) => {
    r.launcher = r.children[0] as Record['launcher'];
    r.children = [];
  });
  assert.equal(runningLauncher(data), child.pid);
  recordChildren(data, []);
  assert.equal(runningLauncher(data), undefined, 'this process is not "another" launcher');
});
