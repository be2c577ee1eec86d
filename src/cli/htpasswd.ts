/**
 * `htpasswd USER [--file PATH]`: adds USER (or changes their password) in the basic-auth file nginx
 * checks for /prometheus/ and /alertmanager/ (monitoring/nginx/auth/htpasswd by default), as a
 * bcrypt hash written by Apache's `htpasswd -B` (Debian package apache2-utils).
 *
 * The password comes from stdin when it is piped (`printf '%s' "$PW" | ...`), never from the
 * command line, where every user of the host could read it in `ps`. On a terminal, `htpasswd`
 * itself prompts twice without echo. The file is mode 0644: it holds bcrypt hashes only, and
 * nginx's workers run as an unprivileged user that must read it.
 *
 * Exit codes: 0 written; 1 htpasswd failed or the password was refused; 2 bad usage.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireBinary } from '../packages.ts';
import { defineCommand, processOutput, type Output } from './command.ts';

/** The file docker-compose's nginx reads (monitoring/nginx is mounted at /etc/nginx/samokoder). */
export const DEFAULT_HTPASSWD = fileURLToPath(new URL('../../monitoring/nginx/auth/htpasswd', import.meta.url));

/** bcrypt cost: nginx verifies the hash on every request, so higher would slow the UIs down. */
const BCRYPT_COST = 10;

/** Shortest password accepted: the file guards every metric and every silence. */
export const MIN_PASSWORD_LENGTH = 12;

const USAGE = `Usage: htpasswd USER [--file PATH]
  Adds USER to nginx's basic-auth file, or changes their password (bcrypt).
  The password is read from stdin:  printf '%s' 'a-strong-password' | npm run samokoder -- htpasswd admin
  On a terminal, you are prompted for it.
  --file PATH  default: monitoring/nginx/auth/htpasswd`;

/** Where the command writes its lines, and where the password comes from. */
export interface HtpasswdIo extends Output {
  /** The piped password; undefined to let htpasswd prompt on the terminal. */
  password?: string;
}

/** `htpasswd`: the arguments after the command name in, the exit code out; the environment is not read. */
export const htpasswdCommand = defineCommand({
  name: 'htpasswd',
  usage: USAGE,
  options: { file: { type: 'string' } },
  positionals: true,
  defaultIo: async (): Promise<HtpasswdIo> => ({ ...processOutput, password: process.stdin.isTTY ? undefined : await readPipedPassword() }),
  action({ values, positionals, io, usageError, fail }) {
    const [user, ...extra] = positionals;
    if (!user || extra.length > 0) return usageError('give exactly one user name (the password is read from stdin, never an argument)');
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(user)) return usageError('the user name may hold letters, digits, ".", "_" and "-" (1-64 characters)');
    if (io.password !== undefined && io.password.length < MIN_PASSWORD_LENGTH) return fail(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);

    const file = resolve(values.file ?? DEFAULT_HTPASSWD);
    mkdirSync(dirname(file), { recursive: true });
    // -B bcrypt, -C its cost (htpasswd's default, 5, is weak), -c create (only when absent: it would
    // drop the other users), -i password from stdin.
    const flags = `-B${existsSync(file) ? '' : 'c'}${io.password === undefined ? '' : 'i'}`;
    const result = spawnSync(requireBinary('htpasswd'), [flags, '-C', String(BCRYPT_COST), file, user], {
      input: io.password,
      stdio: io.password === undefined ? 'inherit' : ['pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    // htpasswd's own message names the problem (e.g. passwords that differ); it never echoes one.
    if (result.status !== 0) return fail(`failed${result.stderr ? `: ${result.stderr.trim()}` : ''}`);
    chmodSync(file, 0o644);
    io.out(`Wrote user '${user}' to ${file} (bcrypt). nginx reads it on the next request; no restart needed.`);
    return 0;
  },
});

/** Reads all of stdin (a piped password); a single trailing newline (from echo) is dropped. */
async function readPipedPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
