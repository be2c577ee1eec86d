// What every CLI command gets from defineCommand: -h/--help, a bad argument as exit code 2 with
// the usage, a bad environment variable (ConfigError) as one `name: message` line and exit code
// 1, any other error propagated; and the dispatcher running a command end to end.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { defineCommand, type Output } from '../../src/cli/command.ts';
import { ConfigError } from '../../src/config.ts';
import { REPO_ROOT } from '../../src/monitoring/paths.ts';

function capture(): { io: Output; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, out, err };
}

const USAGE = 'Usage: greet NAME [--loud]';
const greet = defineCommand({
  name: 'greet',
  usage: USAGE,
  options: { loud: { type: 'boolean' } },
  positionals: true,
  action({ values, positionals, env, io, usageError, fail }) {
    const [name] = positionals;
    if (!name) return usageError('give a name');
    if (name === 'nobody') return fail('nobody to greet');
    if (name === 'bug') throw new TypeError('a bug');
    if (env.GREETING === '') throw new ConfigError('GREETING: must not be empty');
    io.out(`${env.GREETING ?? 'hello'} ${values.loud ? name.toUpperCase() : name}`);
    return 0;
  },
});

test('the action gets the parsed options, positionals and environment', async () => {
  const { io, out, err } = capture();
  assert.equal(await greet(['ada', '--loud'], { GREETING: 'hi' }, io), 0);
  assert.deepEqual(out, ['hi ADA']);
  assert.deepEqual(err, []);
});

test('--help prints the usage and exits 0 without running the action', async () => {
  const { io, out } = capture();
  assert.equal(await greet(['-h', 'bug'], {}, io), 0);
  assert.deepEqual(out, [USAGE]);
});

test('an unknown option or a usage error: the problem, the usage, exit code 2', async () => {
  const unknown = capture();
  assert.equal(await greet(['ada', '--quiet'], {}, unknown.io), 2);
  assert.match(unknown.err.join('\n'), /^greet: Unknown option '--quiet'.*\nUsage: greet NAME/s);
  const missing = capture();
  assert.equal(await greet([], {}, missing.io), 2);
  assert.equal(missing.err.join('\n'), `greet: give a name\n${USAGE}`);
});

test('a failure or a ConfigError is one line naming the command, exit code 1; any other error propagates', async () => {
  const failed = capture();
  assert.equal(await greet(['nobody'], {}, failed.io), 1);
  assert.deepEqual(failed.err, ['greet: nobody to greet']);
  const bad = capture();
  assert.equal(await greet(['ada'], { GREETING: '' }, bad.io), 1);
  assert.deepEqual(bad.err, ['greet: GREETING: must not be empty']);
  assert.deepEqual(bad.out, []);
  await assert.rejects(greet(['bug'], {}, capture().io), TypeError);
});

test('the dispatcher: an unknown command exits 2, a bad variable exits 1 with its name, --help exits 0', async () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
  const [unknown, badVariable, help] = await Promise.all([
    cli(['no-such-command']),
    cli(['render-prometheus', '--out', '/dev/null'], { REMOTE_WRITE_URL: 'not a url' }),
    cli(['capacity', '--help']),
  ]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'no-such-command'/);
  assert.equal(badVariable.code, 1, badVariable.stderr);
  assert.match(badVariable.stderr, /^render-prometheus: .*REMOTE_WRITE_URL/m);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: npm run samokoder -- capacity/);
});
