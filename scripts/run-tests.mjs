// Runs every test file (`test/**/*.test.ts`, or the paths given) with Node's own test runner
// through tsx. Node 20's runner does not expand globs, hence this small finder.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return find(path);
    return path.endsWith('.test.ts') ? [path] : [];
  });
}

const args = process.argv.slice(2);
const files = (args.length ? args : ['test']).flatMap((p) => (statSync(p).isDirectory() ? find(p) : [p])).sort();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
