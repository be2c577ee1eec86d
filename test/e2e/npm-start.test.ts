// `npm start`'s entry (src/stack/main.ts) as a user runs it, as a child process: a bad variable is
// one line and exit 1 before anything starts; a good start prints the URL table and the alert
// channels; a child that dies is reported; SIGTERM stops everything (every port free again); what
// a SIGKILLed launcher left running is stopped by the next start.
// It runs from a temp dir so that a developer's .env never leaks into the test.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, isPortFree } from '../../src/stack/ports.ts';
import { freeServicePorts, SERVICES } from '../../src/stack/services.ts';
import { tempDir } from '../support/services.ts';

const MAIN = fileURLToPath(new URL('../../src/stack/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const dir = tempDir('npm-start');
const children: ChildProcess[] = [];

// A launcher still running (a test failed half-way) is asked to stop its children first: a
// SIGKILL alone would leave them running after the tests.
after(async () => {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(
    running.map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 40_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }),
  );
  dir.remove();
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | string>;
  /** Resolves once `pattern` appears in stdout or stderr; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

function start(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', TSX, MAIN], { cwd: dir.path, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let done = false;
      void exited.then(() => (done = true));
      while (Date.now() < deadline) {
        const match = (out + err).match(pattern);
        if (match) return match;
        if (done) throw new Error(`exited before ${pattern}:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`);
    },
  };
}

/** Every port variable of the stack on a free port, so no test depends on the default ports. */
async function freePorts(): Promise<Record<string, string>> {
  return { ...(await freeServicePorts()), ALERT_WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/alerts` };
}

test('a bad variable: one line naming it, exit 1, nothing started', async () => {
  const data = join(dir.path, 'bad');
  const run = start({ DATA_DIR: data, PROMETHEUS_PORT: 'ninety' });
  assert.equal(await run.exited, 1);
  assert.equal(run.stderr(), 'Invalid configuration: PROMETHEUS_PORT must be a TCP port number (1-65535)\n');
  assert.equal(existsSync(data), false);
});

test('as root, a DATA_DIR that PostgreSQL (user postgres) cannot reach is named before anything starts', { skip: process.getuid?.() !== 0 && 'only root switches to the postgres user' }, async () => {
  // dir.path is a fresh mkdtemp directory: mode 0700.
  const run = start({ DATA_DIR: join(dir.path, 'data'), ...(await freePorts()) });
  assert.equal(await run.exited, 1);
  assert.match(run.stderr(), new RegExp(`cannot reach DATA_DIR .*: ${dir.path} is not traversable by others \\(mode 700\\).*chmod o\\+x ${dir.path}`));
  assert.equal(existsSync(join(dir.path, 'data', 'postgres')), false);
});

test('npm start: URL table and channels, a dead child reported, SIGTERM stops every service', async () => {
  chmodSync(dir.path, 0o711); // as the message above says
  const ports = await freePorts();
  const run = start({ DATA_DIR: join(dir.path, 'data'), ...ports });
  const [, pid] = (await run.waitFor(/Try it: kill (\d+) \(the API\)/, 120_000)) as RegExpMatchArray;

  const out = run.stdout();
  assert.match(out, new RegExp(`API Metrics +http://127\\.0\\.0\\.1:${ports.API_PORT}/metrics`));
  assert.match(out, new RegExp(`Prometheus +http://127\\.0\\.0\\.1:${ports.PROMETHEUS_PORT}\\n`));
  assert.match(out, new RegExp(`AlertManager +http://127\\.0\\.0\\.1:${ports.ALERTMANAGER_PORT}\\n`));
  assert.match(out, new RegExp(`Dashboards +http://127\\.0\\.0\\.1:${ports.DASHBOARD_PORT} \\(the Samokoder Overview; Grafana in docker-compose\\)\\n`));
  assert.match(out, /Alert channels: none configured: alerts are printed here/);
  assert.match(run.stderr(), /warning: The dead-man's switch is off \(WATCHDOG_URL is not set\)/);
  assert.doesNotMatch(out, /"level"|Samokoder API listening/, 'the API logs go to its log file, not the terminal');
  assert.equal((await fetch(`http://127.0.0.1:${ports.API_PORT}/metrics`)).status, 200);
  // What a user opens: the dashboard URL shows the Samokoder Overview.
  const home = await fetch(`http://127.0.0.1:${ports.DASHBOARD_PORT}/`);
  assert.equal(home.status, 200);
  assert.match(home.url, /\/d\/samokoder-overview\/samokoder-overview$/);

  process.kill(Number(pid), 'SIGKILL');
  await run.waitFor(/ERROR: api exited unexpectedly \(SIGKILL\); the rest keeps running/, 10_000);

  run.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([run.exited, new Promise((r) => (timer = setTimeout(() => r('still running after 40 s'), 40_000)))]);
  clearTimeout(timer);
  assert.equal(code, 0, run.stderr());
  const busy = [];
  for (const [name, value] of Object.entries(ports)) {
    const port = name === 'ALERT_WEBHOOK_URL' ? Number(new URL(value).port) : Number(value);
    if (!(await isPortFree(port))) busy.push(name);
  }
  assert.deepEqual(busy, [], 'every service stopped with the launcher');
});

test('after npm start was killed (SIGKILL), the next start stops what it left running and comes up', async () => {
  chmodSync(dir.path, 0o711); // PostgreSQL (user postgres) must reach DATA_DIR
  const ports = await freePorts();
  const data = join(dir.path, 'killed');
  const first = start({ DATA_DIR: data, ...ports });
  await first.waitFor(/Try it: kill \d+ \(the API\)/, 120_000);
  first.child.kill('SIGKILL');
  await first.exited;
  assert.equal(await isPortFree(Number(ports.API_PORT)), false, 'the killed launcher left the API running');

  const second = start({ DATA_DIR: data, ...ports });
  const [, stopped] = (await second.waitFor(/stopped what an earlier start that was killed left running: (.+)\n/, 60_000)) as RegExpMatchArray;
  // Every child process of the service list (the in-process alert printer died with the launcher).
  assert.deepEqual(stopped?.split(', ').sort(), SERVICES.filter((s) => s.binary !== 'in-process').map((s) => s.name).sort());
  await second.waitFor(/Try it: kill \d+ \(the API\)/, 120_000);
  assert.equal((await fetch(`http://127.0.0.1:${ports.API_PORT}/health`)).status, 200);

  // While it runs, a third start on the same DATA_DIR is refused before touching anything.
  const third = start({ DATA_DIR: data, ...(await freePorts()) });
  assert.equal(await third.exited, 1);
  assert.match(third.stderr(), new RegExp(`another stack \\(launcher pid ${second.child.pid}\\) is running with DATA_DIR`));

  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.stderr());
  assert.equal(await isPortFree(Number(ports.API_PORT)), true);
});

test('SIGTERM during the start stops what was already started', async () => {
  const ports = await freePorts();
  const run = start({ DATA_DIR: join(dir.path, 'data'), ...ports });
  // PostgreSQL is up once its port is taken; then the launcher is interrupted.
  const deadline = Date.now() + 60_000;
  while ((await isPortFree(Number(ports.POSTGRES_PORT))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await isPortFree(Number(ports.POSTGRES_PORT)), false, `PostgreSQL did not start:\n${run.stderr()}`);
  run.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([run.exited, new Promise((r) => (timer = setTimeout(() => r('still running after 60 s'), 60_000)))]);
  clearTimeout(timer);
  assert.equal(code, 0, run.stderr());
  assert.match(run.stderr(), /Stopping the stack\.\.\.\nstart interrupted\n$/);
  assert.equal(await isPortFree(Number(ports.POSTGRES_PORT)), true, 'PostgreSQL was stopped');
});
