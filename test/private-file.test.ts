import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writePrivateFile } from '../src/private-file.ts';
import { tempDir } from './support/services.ts';

const dir = tempDir('private-file');
after(() => dir.remove());

test('the file is written with mode 0600, also over an existing world-readable file', () => {
  const file = join(dir.path, 'modes', 'alertmanager.yml');
  writePrivateFile(file, 'first');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir.path, 'modes')).mode & 0o777, 0o700, 'a directory it creates is private too');
  chmodSync(file, 0o644);
  writePrivateFile(file, 'second');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8'), 'second');
  assert.deepEqual(readdirSync(join(dir.path, 'modes')), ['alertmanager.yml'], 'no temp file left behind');
});

test('an owner is given the file (the reader in another container), still mode 0600', () => {
  assert.equal(process.getuid?.(), 0, 'giving a file to another user needs root: run the tests as root');
  const file = join(dir.path, 'owned', 'password');
  writePrivateFile(file, 'secret', { uid: 59000, gid: 59000 });
  const stat = statSync(file);
  assert.deepEqual([stat.uid, stat.gid, stat.mode & 0o777], [59000, 59000, 0o600]);
  writePrivateFile(file, 'changed', { uid: 472, gid: 0 });
  assert.deepEqual([statSync(file).uid, statSync(file).gid], [472, 0]);
  assert.equal(readFileSync(file, 'utf8'), 'changed');
});

test('a failed write leaves the old file and no temporary file', () => {
  const file = join(dir.path, 'failing', 'password');
  writePrivateFile(file, 'old');
  assert.throws(() => writePrivateFile(file, 'new', { uid: -2, gid: -2 }), /EINVAL|ERR_OUT_OF_RANGE|out of range/);
  assert.equal(readFileSync(file, 'utf8'), 'old');
  assert.deepEqual(readdirSync(join(dir.path, 'failing')), ['password']);
});
