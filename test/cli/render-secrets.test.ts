import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { renderSecretsCommand } from '../../src/cli/render-secrets.ts';
import { tempDir } from '../support/services.ts';

const dir = tempDir('render-secrets');
after(() => dir.remove());

const VALID = {
  GRAFANA_ADMIN_PASSWORD: 'grafana-password',
  POSTGRES_PASSWORD: 'pgpassword',
  REDIS_PASSWORD: 'redispassword',
  DATABASE_URL: 'postgresql://samokoder:pgpassword@postgres:5432/samokoder',
  REDIS_URL: 'redis://:redispassword@redis:6379',
  JWT_SECRET: 'j'.repeat(40),
};

async function run(argv: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await renderSecretsCommand(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('a value the API file cannot hold is a configuration error naming the variable, and no file is written', async () => {
  const out = join(dir.path, 'both-quotes');
  const secret = `has ' and \` both ${'x'.repeat(32)}`;
  const result = await run(['--dir', out, '--redis-addr', 'redis://redis:6379'], { ...VALID, JWT_SECRET: secret });
  assert.equal(result.code, 1);
  assert.match(result.err, /^render-secrets: JWT_SECRET must not contain both ' and `/);
  assert.ok(!result.err.includes(secret), 'the value was printed');
  assert.equal(existsSync(out), false, 'files were written before the error');
});

test('a missing variable and a bad --redis-addr are refused before anything is written', async () => {
  const out = join(dir.path, 'refused');
  const { JWT_SECRET: _, ...withoutJwt } = VALID;
  const missing = await run(['--dir', out, '--redis-addr', 'redis://redis:6379'], withoutJwt);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /JWT_SECRET is required/);
  const badAddr = await run(['--dir', out, '--redis-addr', 'redis://redis:6379/0'], VALID);
  assert.equal(badAddr.code, 2);
  assert.match(badAddr.err, /--redis-addr must be the exporter's REDIS_ADDR/);
  assert.equal(existsSync(out), false);
});

test('with valid input it writes every file and names each path, never a value', async () => {
  const out = join(dir.path, 'valid');
  const result = await run(['--dir', out, '--redis-addr', 'redis://redis:6379'], VALID);
  assert.equal(result.code, 0, result.err);
  assert.deepEqual(readdirSync(out).sort(), ['alertmanager', 'api', 'grafana', 'postgres', 'postgres-exporter', 'redis', 'redis-exporter']);
  for (const value of Object.values(VALID)) assert.ok(!(result.out + result.err).includes(value), 'a value was printed');
  assert.match(result.out, /Alert channels: telegram off, email off, webhook on/);
});

test('an SMTP_CA_FILE that cannot be read where it is mounted (--smtp-ca) is one line naming the variable, and nothing is written', async () => {
  const out = join(dir.path, 'no-ca');
  const email = { ALERT_EMAIL: 'oncall@example.com', SMTP_HOST: 'smtp.example.com', SMTP_CA_FILE: '/srv/certs/ca.pem' };
  const result = await run(['--dir', out, '--redis-addr', 'redis://redis:6379', '--smtp-ca', join(dir.path, 'not-mounted.pem')], { ...VALID, ...email });
  assert.equal(result.code, 1);
  assert.equal(result.err, 'render-secrets: Invalid configuration: SMTP_CA_FILE must be a readable PEM file of CA certificates (cannot read it: ENOENT)');
  assert.equal(existsSync(out), false);
});
