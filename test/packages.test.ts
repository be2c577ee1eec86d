// src/packages.ts: a binary that is not installed is one error naming it and the Debian package to
// install, as the tests' browser, servers and tools are required (never skipped).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { locate, MissingBinaryError, requireBinary } from '../src/packages.ts';
import { tempDir } from './support/services.ts';

test('a binary found on no path is a MissingBinaryError naming it, its package and the install command', () => {
  const empty = tempDir('no-binaries');
  const path = process.env.PATH;
  process.env.PATH = empty.path;
  try {
    // redis-cli lives in /usr/bin: with PATH emptied only /usr/sbin and /sbin are left to search.
    assert.equal(locate('redis-cli'), undefined);
    assert.throws(
      () => requireBinary('redis-cli'),
      (err: Error) => err instanceof MissingBinaryError && err.message === "missing binary 'redis-cli': install the Debian package 'redis-tools' (apt-get install -y redis-tools)",
    );
  } finally {
    process.env.PATH = path;
    empty.remove();
  }
  assert.match(requireBinary('redis-cli'), /\/redis-cli$/, 'found again with the PATH back');
});
