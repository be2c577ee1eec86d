/**
 * The secret files of the docker-compose stack. Its one-shot `secrets` service renders them from
 * `.env` (`render-secrets`), each into a volume that only its reader mounts, mode 0600 and owned
 * by the user the reader's image runs as: Alertmanager's config with the alert channels'
 * credentials, the exporters' passwords and Grafana's admin password. So none of these containers
 * gets a secret through its environment. docker-compose.yml must mount and point at the files
 * exactly as {@link SECRET_FILES} says; test/deploy/compose.test.ts checks it.
 */
import { join } from 'node:path';
import type { ComposeSecrets } from '../config.ts';
import { writePrivateFile, type FileOwner } from '../private-file.ts';

/** Where the reader's volume is mounted, in the `secrets` service and in the reader alike: `SECRETS_DIR/<reader>`. */
export const SECRETS_DIR = '/run/samokoder-secrets';

/** What the files are made of. */
export interface SecretsInput {
  secrets: ComposeSecrets;
  /** The rendered Alertmanager config (src/alerting/render.ts). */
  alertmanagerYaml: string;
  /** The redis exporter's REDIS_ADDR: its password file maps this exact URI to the password. */
  redisAddr: string;
}

/** One file, its reader and how the reader finds it. */
export interface SecretFile {
  /** The compose service that reads it; its volume is `<reader>-secrets`. */
  reader: string;
  /** The file's name in the reader's directory. */
  name: string;
  /** The user the reader's image runs as (Alertmanager and postgres-exporter: nobody; Grafana: 472). */
  owner: FileOwner;
  /** How docker-compose.yml tells the reader the path: an environment variable or a command-line flag. */
  pointer: { env: string } | { flag: string };
  content(input: SecretsInput): string;
}

/** Every secret file the `secrets` service writes. */
export const SECRET_FILES: readonly SecretFile[] = [
  {
    reader: 'alertmanager',
    name: 'alertmanager.yml',
    owner: { uid: 65534, gid: 65534 },
    pointer: { flag: '--config.file' },
    content: (input) => input.alertmanagerYaml,
  },
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

/**
 * The redis exporter's password file (`REDIS_PASSWORD_FILE`): JSON mapping the exact address it
 * scrapes (its REDIS_ADDR) to the password. The local stack's exporter reads the same format.
 */
export function redisPasswordFile(address: string, password: string): string {
  return JSON.stringify({ [address]: password });
}

/** The path of `file` below `dir` (`SECRETS_DIR` in the containers). */
export function secretPath(file: SecretFile, dir = SECRETS_DIR): string {
  return join(dir, file.reader, file.name);
}

/**
 * Writes every file of {@link SECRET_FILES} below `dir`, given to its reader's user (that needs
 * root, or CAP_CHOWN). Returns the paths written.
 */
export function writeSecretFiles(dir: string, input: SecretsInput): string[] {
  return SECRET_FILES.map((file) => {
    const path = secretPath(file, dir);
    writePrivateFile(path, file.content(input), file.owner);
    return path;
  });
}
