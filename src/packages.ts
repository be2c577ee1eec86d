/**
 * The Debian packages the local stack and the tests need, with the binaries each provides, and
 * the one routine that installs the missing ones (as root) or names them (otherwise).
 *
 * Paths are where Debian's packages put them: PostgreSQL's server binaries are not on PATH, and
 * Alertmanager's binary is `prometheus-alertmanager`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Binary name (or absolute path) → the Debian package that provides it. */
export const debianBinaries = {
  initdb: { pkg: 'postgresql', path: `${PG_BIN}/initdb` },
  pg_ctl: { pkg: 'postgresql', path: `${PG_BIN}/pg_ctl` },
  postgres: { pkg: 'postgresql', path: `${PG_BIN}/postgres` },
  'redis-server': { pkg: 'redis-server' },
  'redis-cli': { pkg: 'redis-tools' },
  prometheus: { pkg: 'prometheus' },
  promtool: { pkg: 'prometheus' },
  'prometheus-alertmanager': { pkg: 'prometheus-alertmanager' },
  amtool: { pkg: 'prometheus-alertmanager' },
  'prometheus-node-exporter': { pkg: 'prometheus-node-exporter' },
  'prometheus-postgres-exporter': { pkg: 'prometheus-postgres-exporter' },
  'prometheus-redis-exporter': { pkg: 'prometheus-redis-exporter' },
  'prometheus-blackbox-exporter': { pkg: 'prometheus-blackbox-exporter' },
  nginx: { pkg: 'nginx', path: '/usr/sbin/nginx' },
  htpasswd: { pkg: 'apache2-utils' },
  'docker-compose': { pkg: 'docker-compose' },
  'victoria-metrics': { pkg: 'victoria-metrics' },
  // The browser the dashboard viewer's e2e test and benchmark drive (playwright-core, no browser download).
  chromium: { pkg: 'chromium', path: '/usr/bin/chromium' },
  // The throwaway CA and certificates of the TLS test servers (the SMTP sink).
  openssl: { pkg: 'openssl' },
} as const satisfies Record<string, { pkg: string; path?: string }>;

export type DebianBinary = keyof typeof debianBinaries;

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin'])) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Absolute path of `name`, or undefined when it is not installed. */
export function locate(name: DebianBinary): string | undefined {
  const entry: { pkg: string; path?: string } = debianBinaries[name];
  if (entry.path) {
    try {
      accessSync(entry.path, constants.X_OK);
      return entry.path;
    } catch {
      return findOnPath(name);
    }
  }
  return findOnPath(name);
}

/** A binary the stack needs is not installed; the message names it and its package. */
export class MissingBinaryError extends Error {
  override name = 'MissingBinaryError';
}

/** Absolute path of `name`; throws {@link MissingBinaryError} naming the Debian package otherwise. */
export function requireBinary(name: DebianBinary): string {
  const found = locate(name);
  if (!found) {
    throw new MissingBinaryError(`missing binary '${name}': install the Debian package '${debianBinaries[name].pkg}' (apt-get install -y ${debianBinaries[name].pkg})`);
  }
  return found;
}

/**
 * Installs the Debian packages of every missing binary in `names` with apt-get when running as
 * root; otherwise throws naming the packages to install. Returns the packages it installed.
 */
export function ensureInstalled(names: readonly DebianBinary[] = Object.keys(debianBinaries) as DebianBinary[]): string[] {
  const missing = [...new Set(names.filter((n) => !locate(n)).map((n) => debianBinaries[n].pkg))];
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    throw new MissingBinaryError(`missing Debian packages: ${missing.join(' ')} (run: sudo apt-get install -y ${missing.join(' ')})`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  process.stderr.write(`Installing Debian packages: ${missing.join(' ')}\n`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (install.status !== 0) throw new MissingBinaryError(`apt-get install failed for: ${missing.join(' ')}`);
  for (const n of names) requireBinary(n);
  return missing;
}
