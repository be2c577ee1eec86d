/**
 * Reading the deployment files the way their consumers do: docker-compose.yml through Debian's
 * `docker-compose config` (merges, interpolation, relative paths resolved), and `.env.example`
 * as the list of documented variables. Shared by the tests under test/deploy/.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { requireBinary } from '../../src/packages.ts';
import { tempDir } from '../support/services.ts';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
export const ENV_EXAMPLE = join(ROOT, '.env.example');

/** Values for the variables compose requires (`${VAR:?...}`); obviously fake. */
export const REQUIRED_COMPOSE_ENV = {
  GRAFANA_ADMIN_PASSWORD: 'test-grafana-password',
  POSTGRES_PASSWORD: 'testpgpassword',
  REDIS_PASSWORD: 'testredispassword',
  JWT_SECRET: 'test-jwt-secret-test-jwt-secret-0123',
} as const;

export interface ComposeService {
  image?: string;
  build?: unknown;
  pull_policy?: string;
  container_name?: string;
  command?: string[] | string;
  environment?: Record<string, string | null>;
  ports?: unknown[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }> | string[];
  restart?: string;
  mem_limit?: string | number;
  user?: string;
}

/** Result of `docker-compose config` with `env` as the only environment (no .env file is read). */
export function composeConfig(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const dir = tempDir('compose');
  try {
    const envFile = join(dir.path, 'empty.env');
    writeFileSync(envFile, '');
    const result = spawnSync(requireBinary('docker-compose'), ['--project-directory', ROOT, '-f', COMPOSE_FILE, '--env-file', envFile, 'config'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    dir.remove();
  }
}

/** The services of docker-compose.yml as `docker-compose config` resolves them with the required variables set. */
export function resolvedServices(): Record<string, ComposeService> {
  const result = composeConfig(REQUIRED_COMPOSE_ENV);
  if (result.status !== 0) throw new Error(`docker-compose config failed: ${result.stderr}`);
  return (parse(result.stdout) as { services: Record<string, ComposeService> }).services;
}

/**
 * Variable names documented in .env.example: `NAME=...` lines and commented `# NAME=default`
 * lines (exactly one space after `#`; indented examples inside comments do not count).
 */
export function documentedVariables(text = readFileSync(ENV_EXAMPLE, 'utf8')): string[] {
  return [...text.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string);
}

/** Every `${VAR...}` reference in a compose file's text, with its operator (`:-`, `:?`, ...) and default. */
export function composeReferences(text = readFileSync(COMPOSE_FILE, 'utf8')): Array<{ name: string; operator: string; rest: string }> {
  // `$$` is compose's escape for a literal `$`, expanded later by a shell in the container.
  const code = text.replace(/^[ \t]*#.*$/gm, '').replace(/\$\$/g, '');
  return [...code.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?([^}]*)\}/g)].map((m) => ({
    name: m[1] as string,
    operator: m[2] ?? '',
    rest: m[3] ?? '',
  }));
}
