// Runs `npm ci` when node_modules is missing or older than package-lock.json, so `npm start`
// and `npm test` work on a fresh clone. Plain JavaScript: it runs before any dependency exists.
import { execSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';

const stamp = 'node_modules/.samokoder-installed';
const stale = !existsSync(stamp) || statSync(stamp).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
  writeFileSync(stamp, new Date().toISOString());
}
