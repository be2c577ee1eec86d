/**
 * The secret files of the docker-compose stack. Its one-shot `secrets` service renders them from
 * `.env` (`render-secrets`), each into a volume that only its reader mounts, mode 0600 and owned
 * by the user the reader's image runs as: the API's connection URLs and keys, PostgreSQL's and
 * Redis' passwords, Alertmanager's config with the alert channels' credentials (and the SMTP CA
 * bundle that config names), the exporters' passwords and Grafana's admin password. So no
 * long-running container gets a secret through its environment. docker-compose.yml must mount
 * and point at the files exactly as {@link SECRET_FILES} says; test/deploy/compose.test.ts checks it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiSecrets, ComposeSecrets } from '../config.ts';
import { ConfigError } from '../config.ts';
import { writePrivateFile, type FileOwner } from '../private-file.ts';
import { redisPasswordConfig, redisPasswordFile } from '../monitoring/secret-formats.ts';

/** Where the reader's volume is mounted, in the `secrets` service and in the reader alike: `SECRETS_DIR/<reader>`. */
export const SECRETS_DIR = '/run/samokoder-secrets';

/**
 * Where the `secrets` service finds the operator's SMTP_CA_FILE: compose bind-mounts the host file
 * there, read-only (/dev/null when unset), and passes this path as `render-secrets --smtp-ca`.
 */
export const SMTP_CA_INPUT = '/run/samokoder-input/smtp-ca.pem';

/** What the files are made of. */
export interface SecretsInput {
  secrets: ComposeSecrets;
  /** The API's secret variables, as compose builds them (DATABASE_URL from POSTGRES_PASSWORD, ...). */
  api: ApiSecrets;
  /** The rendered Alertmanager config (src/monitoring/alertmanager.ts). */
  alertmanagerYaml: string;
  /** The PEM bundle of SMTP_CA_FILE; unset: none is written (the system roots verify the server). */
  smtpCa?: string;
  /** The redis exporter's REDIS_ADDR: its password file maps this exact URI to the password. */
  redisAddr: string;
}

/**
 * How the reader is told where its file is: in docker-compose.yml, an environment variable, a
 * command-line flag, an argument of its command, or its healthcheck command; or by another of
 * its files (the rendered Alertmanager config names the CA bundle).
 */
export type SecretPointer = { env: string } | { flag: string } | { argument: true } | { healthcheck: true } | { namedBy: string };

/** One file, its reader and how the reader finds it. */
export interface SecretFile {
  /** The compose service that reads it; its volume is `<reader>-secrets`. */
  reader: string;
  /** The file's name in the reader's directory. */
  name: string;
  /** The user the reader's image runs as (see each entry). */
  owner: FileOwner;
  pointer: SecretPointer;
  /** The file's content; undefined: not written (and an older one removed). */
  content(input: SecretsInput): string | undefined;
}

/**
 * A dotenv file of `variables` (unset ones left out) that the `dotenv` package reads back
 * unchanged: each value single-quoted (taken literally), or back-quoted when it holds a single
 * quote. A value holding both cannot be written; the error names the variable, not the value.
 */
export function dotenvFile(variables: Record<string, string | undefined>): string {
  const lines = Object.entries(variables).flatMap(([name, value]) => {
    if (value === undefined) return [];
    const quote = ["'", '`'].find((q) => !value.includes(q));
    if (!quote) throw new ConfigError(`${name} must not contain both ' and \` (it is written to a dotenv file)`);
    return [`${name}=${quote}${value}${quote}`];
  });
  return `${lines.join('\n')}\n`;
}

/**
 * The CA bundle Alertmanager verifies the SMTP server with (a copy of SMTP_CA_FILE). Not a secret,
 * but it must be readable by Alertmanager's user at the path the rendered config names
 * (`tls_config.ca_file`, {@link secretPath}), wherever the operator's file lives and whatever its mode.
 */
export const SMTP_CA: SecretFile = {
  reader: 'alertmanager',
  name: 'smtp-ca.pem',
  owner: { uid: 65534, gid: 65534 },
  pointer: { namedBy: 'alertmanager.yml' },
  content: (input) => input.smtpCa,
};

/** Every secret file the `secrets` service writes. */
export const SECRET_FILES: readonly SecretFile[] = [
  {
    // The API loads it with dotenv (`import 'dotenv/config'` reads DOTENV_CONFIG_PATH). Image user `node`.
    reader: 'api',
    name: 'api.env',
    owner: { uid: 1000, gid: 1000 },
    pointer: { env: 'DOTENV_CONFIG_PATH' },
    content: (input) => dotenvFile(input.api),
  },
  {
    // The image's entrypoint reads it as root, then again as `postgres` (uid 70 in the Alpine image).
    reader: 'postgres',
    name: 'password',
    owner: { uid: 70, gid: 70 },
    pointer: { env: 'POSTGRES_PASSWORD_FILE' },
    content: (input) => input.secrets.POSTGRES_PASSWORD,
  },
  {
    // redis-server reads it as `redis` (uid 999, gid 1000 in the Alpine image).
    reader: 'redis',
    name: 'redis.conf',
    owner: { uid: 999, gid: 1000 },
    pointer: { argument: true },
    content: (input) => redisPasswordConfig(input.secrets.REDIS_PASSWORD),
  },
  {
    // For redis-cli in the healthcheck, which runs as root.
    reader: 'redis',
    name: 'password',
    owner: { uid: 999, gid: 1000 },
    pointer: { healthcheck: true },
    content: (input) => input.secrets.REDIS_PASSWORD,
  },
  {
    reader: 'alertmanager',
    name: 'alertmanager.yml',
    owner: { uid: 65534, gid: 65534 },
    pointer: { flag: '--config.file' },
    content: (input) => input.alertmanagerYaml,
  },
  SMTP_CA,
  {
    reader: 'postgres-exporter',
    name: 'password',
    owner: { uid: 65534, gid: 65534 },
    pointer: { env: 'DATA_SOURCE_PASS_FILE' },
    content: (input) => input.secrets.POSTGRES_PASSWORD,
  },
  {
    reader: 'redis-exporter',
    name: 'password.json',
    owner: { uid: 59000, gid: 59000 },
    pointer: { env: 'REDIS_PASSWORD_FILE' },
    content: (input) => redisPasswordFile(input.redisAddr, input.secrets.REDIS_PASSWORD),
  },
  {
    reader: 'grafana',
    name: 'admin_password',
    owner: { uid: 472, gid: 0 },
    pointer: { env: 'GF_SECURITY_ADMIN_PASSWORD__FILE' },
    content: (input) => input.secrets.GRAFANA_ADMIN_PASSWORD,
  },
];

/** The path of `file` below `dir` (`SECRETS_DIR` in the containers). */
export function secretPath(file: SecretFile, dir = SECRETS_DIR): string {
  return join(dir, file.reader, file.name);
}

/**
 * Writes every file of {@link SECRET_FILES} below `dir`, given to its reader's user (that needs
 * root, or CAP_CHOWN), and removes those without content. Every content is built before anything
 * is written. Returns the paths written.
 */
export function writeSecretFiles(dir: string, input: SecretsInput): string[] {
  const contents = SECRET_FILES.map((file) => [secretPath(file, dir), file.content(input), file] as const);
  return contents.flatMap(([path, content, file]) => {
    if (content === undefined) {
      rmSync(path, { force: true });
      return [];
    }
    writePrivateFile(path, content, file.owner);
    return [path];
  });
}
