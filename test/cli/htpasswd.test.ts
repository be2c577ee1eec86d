/**
 * The `htpasswd` command: bcrypt entries nginx accepts (the real check is test/deploy/nginx.test.ts),
 * users added without dropping others, and refusals that never write the file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { htpasswdCommand, MIN_PASSWORD_LENGTH } from '../../src/cli/htpasswd.ts';
import { tempDir } from '../support/services.ts';

async function run(args: string[], password?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await htpasswdCommand(args, {}, { out: (l) => out.push(l), err: (l) => err.push(l), password });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('writes bcrypt entries (cost 10), mode 0644, keeps other users, changes a password in place', async () => {
  const dir = tempDir('htpasswd');
  try {
    const file = join(dir.path, 'auth', 'htpasswd');
    assert.equal((await run(['alice', '--file', file], 'first-long-password')).code, 0);
    assert.equal((await run(['bob', '--file', file], 'second-long-password')).code, 0);
    const before = readFileSync(file, 'utf8');
    assert.match(before, /^alice:\$2y\$10\$.{53}\nbob:\$2y\$10\$.{53}\n$/);
    assert.equal(statSync(file).mode & 0o777, 0o644);
    assert.equal((await run(['alice', '--file', file], 'changed-long-password')).code, 0);
    const after = readFileSync(file, 'utf8');
    assert.equal(after.split('\n')[1], before.split('\n')[1], 'bob unchanged');
    assert.notEqual(after.split('\n')[0], before.split('\n')[0], 'alice changed');
    assert.ok(!after.includes('long-password'), 'the password itself is never stored');
  } finally {
    dir.remove();
  }
});

test('refuses bad input without writing, and never echoes the password', async () => {
  const dir = tempDir('htpasswd');
  try {
    const file = join(dir.path, 'htpasswd');
    const short = await run(['alice', '--file', file], 'x'.repeat(MIN_PASSWORD_LENGTH - 1));
    assert.equal(short.code, 1);
    assert.ok(!short.err.includes('x'.repeat(MIN_PASSWORD_LENGTH - 1)));
    assert.equal((await run(['bad:name', '--file', file], 'a-long-enough-password')).code, 2);
    assert.equal((await run(['alice', 'a-password-as-argument', '--file', file], 'a-long-enough-password')).code, 2);
    assert.equal((await run(['--file', file], 'a-long-enough-password')).code, 2);
    assert.equal(existsSync(file), false);
  } finally {
    dir.remove();
  }
});
