/**
 * The secret files of docker-compose, proved with the real readers: `render-secrets` writes them
 * as the compose `secrets` service does, and Debian's postgres and redis exporters, started with
 * the environment compose gives their containers and as the users their images run as, log in
 * to a real PostgreSQL and a real password-protected Redis with them. A wrong password leaves
 * them without `pg_up 1` / `redis_up 1`, so the checks can fail. Alertmanager, as its image's
 * user, verifies the SMTP server with the copy of SMTP_CA_FILE its rendered config names.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import dotenv from 'dotenv';
import { parse } from 'yaml';
import { TEMPLATES_DIR } from '../../src/monitoring/paths.ts';
import { renderSecretsCommand } from '../../src/cli/render-secrets.ts';
import { SECRET_FILES, SECRETS_DIR, secretPath, SMTP_CA, SMTP_CA_INPUT, type SecretFile } from '../../src/deploy/compose-secrets.ts';
import { alertmanagerArgs } from '../../src/stack/alertmanager.ts';
import { requireBinary } from '../../src/packages.ts';
import { freePort } from '../../src/stack/ports.ts';
import { httpReady, startProcess, type ManagedProcess } from '../../src/stack/process.ts';
import { sampleValue } from '../support/api.ts';
import { tempDir, testPostgres, testRedis } from '../support/services.ts';
import { emailEnv, startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { postAlerts } from '../support/stack.ts';
import { createTestCa } from '../support/test-ca.ts';
import { composeConfig, REQUIRED_COMPOSE_ENV, resolvedServices, type ComposeService } from './support.ts';

const REDIS_PASSWORD = 'redis-password-for-the-exporter-test';
/** The API's variables as compose gives them to the secrets service; values a dotenv file must keep exactly. */
const API_SECRETS = {
  DATABASE_URL: 'postgresql://samokoder:pg-password@postgres:5432/samokoder',
  REDIS_URL: 'redis://:redis-password@redis:6379',
  JWT_SECRET: `jwt "secret" with 'quotes', a # and \\n, ${'x'.repeat(32)}`,
  LLM_API_KEY: 'sk-test-$HOME-${PATH}',
};
const services = resolvedServices();
const dir = tempDir('compose-secrets');
const ca = createTestCa();
let postgres: Awaited<ReturnType<typeof testPostgres>>;
let redis: Awaited<ReturnType<typeof testRedis>>;

before(async () => {
  chmodSync(dir.path, 0o711); // the readers' users must traverse it, as the volumes' mount points
  [postgres, redis] = await Promise.all([testPostgres(), testRedis({ password: REDIS_PASSWORD })]);
});
after(async () => {
  await Promise.allSettled([postgres?.stop(), redis?.stop()]);
  dir.remove();
  ca.remove();
});

const file = (reader: string) => SECRET_FILES.find((f) => f.reader === reader) as SecretFile;

/** Renders the files into `out` as the compose one-shot does, with `postgresPassword`. */
async function render(out: string, postgresPassword: string, redisPassword: string): Promise<void> {
  // The mount points of the volumes exist before the one-shot runs (root, 0755).
  for (const f of SECRET_FILES) mkdirSync(join(out, f.reader), { recursive: true, mode: 0o755 });
  const lines: string[] = [];
  const output = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  const env = { PATH: process.env.PATH, ...API_SECRETS, GRAFANA_ADMIN_PASSWORD: 'grafana-password', POSTGRES_PASSWORD: postgresPassword, REDIS_PASSWORD: redisPassword, SMTP_CA_FILE: ca.caFile };
  const code = await renderSecretsCommand(['--dir', out, '--redis-addr', `redis://127.0.0.1:${redis.port}`], env, output);
  assert.equal(code, 0, lines.join('\n'));
  assert.ok(!lines.join('\n').includes(postgresPassword) && !lines.join('\n').includes(redisPassword), 'a password was printed');
}

/** The compose environment of `service`, pointed at `out` instead of SECRETS_DIR and at the local servers. */
function composeEnvironment(service: string, out: string, local: Record<string, string>): Record<string, string> {
  const env = (services[service] as ComposeService).environment ?? {};
  const mapped = Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value ?? '').replace(SECRETS_DIR, out)]));
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...mapped, ...local };
}

/**
 * Starts an exporter as `file`'s owner, reads one sample of its /metrics, stops it. Any answer
 * means it serves: when the login fails, postgres-exporter answers 500 without `pg_up`.
 */
async function scrapeAs(secret: SecretFile, command: string, args: string[], env: Record<string, string>, port: number, sample: string): Promise<number | undefined> {
  const metrics = `http://127.0.0.1:${port}/metrics`;
  let exporter: ManagedProcess | undefined;
  try {
    const ready = () => fetch(metrics).then((res) => res.arrayBuffer().then(() => true));
    exporter = await startProcess({ name: secret.reader, command, args, env, uid: secret.owner.uid, gid: secret.owner.gid, ready });
    const text = await (await fetch(metrics)).text();
    return sampleValue(text, sample);
  } finally {
    await exporter?.stop();
  }
}

test('every file is mode 0600 and owned by its reader; the redis file maps the exporter address to the password', async () => {
  const out = join(dir.path, 'modes');
  await render(out, 'pg-password', REDIS_PASSWORD);
  for (const f of SECRET_FILES) {
    const stat = statSync(secretPath(f, out));
    assert.deepEqual([stat.uid, stat.gid, stat.mode & 0o777], [f.owner.uid, f.owner.gid, 0o600], f.reader);
  }
  assert.deepEqual(JSON.parse(readFileSync(secretPath(file('redis-exporter'), out), 'utf8')), { [`redis://127.0.0.1:${redis.port}`]: REDIS_PASSWORD });
  assert.equal(readFileSync(secretPath(file('grafana'), out), 'utf8'), 'grafana-password');
  assert.equal(readFileSync(secretPath(SMTP_CA, out), 'utf8'), readFileSync(ca.caFile, 'utf8'));
});

test('postgres-exporter logs in with its password file, as nobody, with compose environment', async () => {
  const password = decodeURIComponent(new URL(postgres.databaseUrl).password);
  const run = async (name: string, pgPassword: string) => {
    const out = join(dir.path, name);
    await render(out, pgPassword, REDIS_PASSWORD);
    const port = await freePort();
    const env = composeEnvironment('postgres-exporter', out, { DATA_SOURCE_URI: `127.0.0.1:${postgres.port}/samokoder?sslmode=disable` });
    assert.equal(env.DATA_SOURCE_PASS_FILE, secretPath(file('postgres-exporter'), out));
    assert.equal(env.DATA_SOURCE_PASS, undefined);
    return scrapeAs(file('postgres-exporter'), requireBinary('prometheus-postgres-exporter'), [`--web.listen-address=127.0.0.1:${port}`], env, port, 'pg_up');
  };
  assert.equal(await run('pg-right', password), 1);
  assert.notEqual(await run('pg-wrong', `${password}-wrong`), 1);
});

test('redis-exporter logs in with its password file, as 59000, with compose environment', async () => {
  const run = async (name: string, redisPassword: string) => {
    const out = join(dir.path, name);
    await render(out, 'pg-password', redisPassword);
    const port = await freePort();
    const env = composeEnvironment('redis-exporter', out, { REDIS_ADDR: `redis://127.0.0.1:${redis.port}` });
    assert.equal(env.REDIS_PASSWORD_FILE, secretPath(file('redis-exporter'), out));
    assert.equal(env.REDIS_PASSWORD, undefined);
    return scrapeAs(file('redis-exporter'), requireBinary('prometheus-redis-exporter'), [`-web.listen-address=127.0.0.1:${port}`], env, port, 'redis_up');
  };
  assert.equal(await run('redis-right', REDIS_PASSWORD), 1);
  assert.equal(await run('redis-wrong', 'not-the-password'), 0);
});

test("the API's file gives dotenv back exactly the values compose passed, and leaves unset ones out", async () => {
  const out = join(dir.path, 'api');
  await render(out, 'pg-password', REDIS_PASSWORD);
  assert.deepEqual(dotenv.parse(readFileSync(secretPath(file('api'), out))), API_SECRETS);
  const api = services.api as ComposeService;
  assert.equal(api.environment?.DOTENV_CONFIG_PATH, secretPath(file('api')), 'the API loads it through dotenv/config');
});

test("PostgreSQL's file holds its password, as the image's entrypoint reads it (POSTGRES_PASSWORD_FILE)", async () => {
  const out = join(dir.path, 'postgres');
  await render(out, 'pg-password', REDIS_PASSWORD);
  assert.equal(readFileSync(secretPath(file('postgres'), out), 'utf8'), 'pg-password');
  assert.equal((services.postgres as ComposeService).environment?.POSTGRES_PASSWORD_FILE, secretPath(file('postgres')));
});

test("Redis started as compose starts it, with its rendered redis.conf, requires the password; the compose healthcheck passes with the password file", async () => {
  const out = join(dir.path, 'redis-server');
  await render(out, 'pg-password', 'a "quoted" redis password');
  const compose = services.redis as ComposeService;
  const [command, ...args] = (compose.command as string[]).map((a) => a.replace(SECRETS_DIR, out));
  assert.equal(command, 'redis-server');
  const port = await freePort();
  const data = join(dir.path, 'redis-server-data');
  mkdirSync(data);
  const server = await startProcess({
    name: 'redis',
    command: requireBinary('redis-server'),
    args: [...args, '--port', String(port), '--bind', '127.0.0.1', '--dir', data],
    ready: async () => (await redisCli(port, undefined)).includes('NOAUTH'),
  });
  try {
    assert.match(await redisCli(port, undefined), /NOAUTH/);
    assert.equal(await redisCli(port, 'a "quoted" redis password'), 'PONG');
    // The compose healthcheck, pointed at this server and at the rendered files.
    // `docker-compose config` prints `$$` escaped; the container's shell gets `$`.
    const shell = ((compose.healthcheck?.test as string[])[1] as string).replaceAll('$$', '$');
    const run = (text: string) => spawnSync('sh', ['-c', text.replaceAll(SECRETS_DIR, out).replace('redis-cli', `redis-cli -p ${port}`)], { encoding: 'utf8' }).status;
    assert.equal(run(shell), 0);
    writeFileSync(secretPath(file('redis'), out).replace('redis.conf', 'password'), 'wrong');
    assert.notEqual(run(shell), 0, 'the healthcheck passes with a wrong password');
  } finally {
    await server.stop();
  }
});

/** `redis-cli ping` against `port`, with `password` through REDISCLI_AUTH; its output. */
async function redisCli(port: number, password: string | undefined): Promise<string> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(password === undefined ? {} : { REDISCLI_AUTH: password }) };
  return spawnSync(requireBinary('redis-cli'), ['-p', String(port), 'ping'], { env, encoding: 'utf8' }).stdout.trim();
}

test("SMTP_CA_FILE as compose wires it: Alertmanager, as its image's user, verifies the SMTP server with the copy its config names and delivers over STARTTLS; unset, no copy", async () => {
  const SMTP_USER = 'alerts@example.com';
  const SMTP_PASS = 'smtp-password-for-the-ca-test';
  const smtp: SmtpSink = await startSmtpSink({ user: SMTP_USER, pass: SMTP_PASS });
  let alertmanager: ManagedProcess | undefined;
  try {
    const { SMTP_CA_FILE, ...email } = emailEnv(smtp);
    /** The one-shot as compose resolves it with `extra`, run with its volumes at `out` and its bind mounts at their host paths. */
    const runOneShot = async (out: string, extra: Record<string, string>) => {
      const result = composeConfig({ ...REQUIRED_COMPOSE_ENV, ...email, ...extra });
      assert.equal(result.status, 0, result.stderr);
      const oneShot = (parse(result.stdout) as { services: Record<string, ComposeService> }).services.secrets as ComposeService;
      const mounts = new Map((oneShot.volumes ?? []).map((v) => v.split(':')).map(([source, target]) => [target as string, source as string]));
      const command = oneShot.command as string[];
      const args = command.slice(command.indexOf('render-secrets') + 1);
      assert.equal(args[args.indexOf('--smtp-ca') + 1], SMTP_CA_INPUT);
      for (const f of SECRET_FILES) mkdirSync(join(out, f.reader), { recursive: true, mode: 0o755 });
      const lines: string[] = [];
      const local = args.map((a) => (a === SMTP_CA_INPUT ? (mounts.get(SMTP_CA_INPUT) as string) : a.replace(SECRETS_DIR, out)));
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...Object.fromEntries(Object.entries(oneShot.environment ?? {}).map(([k, v]) => [k, String(v ?? '')])) };
      const code = await renderSecretsCommand(local, env, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
      assert.equal(code, 0, lines.join('\n'));
      return { mounts, config: readFileSync(secretPath(file('alertmanager'), out), 'utf8') };
    };
    const emailTls = (config: string) => (parse(config) as { receivers: Array<{ name: string; email_configs?: Array<{ tls_config?: Record<string, string> }> }> }).receivers.find((r) => r.name === 'email')?.email_configs?.[0]?.tls_config;

    const out = join(dir.path, 'smtp-ca');
    const { mounts, config } = await runOneShot(out, { SMTP_CA_FILE: SMTP_CA_FILE as string });
    assert.equal(mounts.get(SMTP_CA_INPUT), SMTP_CA_FILE, "compose mounts the operator's file into the one-shot");
    const copy = secretPath(SMTP_CA, out);
    const stat = statSync(copy);
    assert.deepEqual([stat.uid, stat.gid, stat.mode & 0o777], [SMTP_CA.owner.uid, SMTP_CA.owner.gid, 0o600]);
    assert.equal(readFileSync(copy, 'utf8'), readFileSync(smtp.caFile as string, 'utf8'));
    assert.deepEqual(emailTls(config), { ca_file: secretPath(SMTP_CA), server_name: '127.0.0.1' }, 'the path inside the Alertmanager container');

    // Alertmanager as in its container: user nobody, its volume where the config says, the templates
    // where compose mounts them (a copy, readable by nobody).
    const templates = join(out, 'templates');
    cpSync(TEMPLATES_DIR, templates, { recursive: true });
    const local = config.replaceAll(SECRETS_DIR, out).replaceAll('/etc/alertmanager/templates', templates);
    const configFile = join(out, 'alertmanager', 'local.yml');
    writeFileSync(configFile, local, { mode: 0o600 });
    const data = join(out, 'alertmanager-data');
    mkdirSync(data);
    for (const path of [configFile, data]) chownSync(path, SMTP_CA.owner.uid, SMTP_CA.owner.gid);
    const port = await freePort();
    alertmanager = await startProcess({
      name: 'alertmanager',
      command: requireBinary('prometheus-alertmanager'),
      args: alertmanagerArgs({ configFile, dataDir: data, port }),
      uid: SMTP_CA.owner.uid,
      gid: SMTP_CA.owner.gid,
      ready: httpReady(`http://127.0.0.1:${port}/-/ready`),
    });
    await postAlerts({ urls: { alertmanager: `http://127.0.0.1:${port}` } }, [{ labels: { alertname: 'ComposeCaDrill', severity: 'critical', component: 'e2e' }, annotations: { summary: 'drill' } }]);
    const [mail] = await smtp.waitForMails(1, 60_000).catch((err: Error) => assert.fail(`${err.message}\n${alertmanager?.tail()}`));
    assert.deepEqual([mail?.subject, mail?.tls, mail?.user], ['[CRITICAL] Samokoder: ComposeCaDrill', true, SMTP_USER]);

    // SMTP_CA_FILE unset: /dev/null is mounted, no copy is kept, the system roots verify the server.
    const unset = await runOneShot(out, {});
    assert.equal(unset.mounts.get(SMTP_CA_INPUT), '/dev/null');
    assert.throws(() => statSync(copy), /ENOENT/);
    assert.deepEqual(emailTls(unset.config), { server_name: '127.0.0.1' });
  } finally {
    await alertmanager?.stop();
    await smtp.close();
  }
});
