/**
 * Writing a file that holds secrets (a rendered config, a password) so that only its owner can
 * read it, at every moment: the content goes to a private temporary file that is then renamed
 * over the old one, whatever the old one's mode was. And secrets generated once and kept.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A numeric owner: the reading container's user, which need not exist on the writing side. */
export interface FileOwner {
  uid: number;
  gid: number;
}

/**
 * Writes `content` to `path` with mode 0600, owned by `owner` when given (that needs root). A
 * directory it creates is mode 0700.
 */
export function writePrivateFile(path: string, content: string, owner?: FileOwner): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, content, { mode: 0o600 });
    chmodSync(temp, 0o600); // exact mode whatever the umask
    if (owner) chownSync(temp, owner.uid, owner.gid);
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** The secret kept in `path`, created on first use from `bytes` random bytes (base64url, mode 0600). */
export function persistentSecret(path: string, bytes: number): string {
  if (!existsSync(path)) writePrivateFile(path, randomBytes(bytes).toString('base64url'));
  return readFileSync(path, 'utf8').trim();
}
