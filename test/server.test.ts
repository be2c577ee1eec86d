import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

/** Runs src/server.ts with only `env` (plus PATH) and returns its exit code and output. */
function runServer(env: Record<string, string>) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', DOTENV_CONFIG_PATH: '/nonexistent', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

const valid = {
  DATABASE_URL: 'postgresql://u:db-password-123@127.0.0.1:1/samokoder',
  REDIS_URL: 'redis://127.0.0.1:1',
  JWT_SECRET: 'a-jwt-secret-that-is-long-enough-0123456789',
};

const cases: [string, Record<string, string>, RegExp][] = [
  ['missing DATABASE_URL', { ...valid, DATABASE_URL: '' }, /^Invalid configuration: DATABASE_URL must be a URL starting with postgres:\/\/ or postgresql:\/\/\n$/],
  ['no DATABASE_URL at all', { REDIS_URL: valid.REDIS_URL, JWT_SECRET: valid.JWT_SECRET }, /^Invalid configuration: DATABASE_URL is required\n$/],
  ['a short JWT secret', { ...valid, JWT_SECRET: 'short' }, /^Invalid configuration: JWT_SECRET must be at least 32 characters of random text\n$/],
  ['a port out of range', { ...valid, API_PORT: '70000' }, /^Invalid configuration: API_PORT must be a TCP port number \(1-65535\)\n$/],
  ['a provider without its key', { ...valid, LLM_PROVIDER: 'anthropic' }, /^LLM_API_KEY is required when LLM_PROVIDER is anthropic/],
];

for (const [name, env, expected] of cases) {
  test(`the API exits 1 before listening on ${name}, with one line naming the variable`, () => {
    const { status, output } = runServer(env);
    assert.equal(status, 1);
    assert.match(output, expected);
    assert.equal(output.trim().split('\n').length, 1);
    assert.ok(!output.includes('db-password-123') && !output.includes(valid.JWT_SECRET), 'a secret was printed');
  });
}
