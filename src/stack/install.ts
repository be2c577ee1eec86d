/**
 * `npm start` / `npm test` pre-step: installs the Debian packages the stack and the tests need.
 * Exits non-zero with one line naming what is missing when it cannot install them.
 */
import { ensureInstalled, MissingBinaryError } from '../packages.ts';

try {
  ensureInstalled();
} catch (err) {
  if (!(err instanceof MissingBinaryError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
