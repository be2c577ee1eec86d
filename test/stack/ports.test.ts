// Ports handed out to throwaway stacks: free, outside the range the kernel takes connections'
// local ports from, never the same twice in one process, and disjoint between test files that
// run side by side.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, isPortFree } from '../../src/stack/ports.ts';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

test('free ports are below the ephemeral range, distinct, and skip a port someone listens on', async () => {
  const first = await freePort();
  const taken = createServer();
  // The port right after the cursor's last one: freePort must step over it.
  await new Promise<void>((resolve) => taken.listen(first + 1, '127.0.0.1', resolve));
  try {
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    assert.equal(new Set([first, ...ports]).size, 41, 'no port handed out twice');
    assert.ok(!ports.includes(first + 1), 'a port in use is not handed out');
    for (const port of ports) {
      assert.ok(port >= 20000 && port < ephemeralStart, `${port} outside 20000..${ephemeralStart - 1}`);
      assert.equal(await isPortFree(port), true);
    }
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});

test('two processes started one after the other hand out disjoint ports', async () => {
  const script = "import { freePort } from './src/stack/ports.ts'; const p = []; for (let i = 0; i < 50; i++) p.push(await freePort()); console.log(JSON.stringify(p));";
  const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const [a, b] = await Promise.all([run(), run()]);
  const left = new Set<number>(JSON.parse(a.stdout));
  const right: number[] = JSON.parse(b.stdout);
  assert.equal(left.size, 50);
  assert.deepEqual(right.filter((p) => left.has(p)), [], 'ports handed out by both processes');
});
