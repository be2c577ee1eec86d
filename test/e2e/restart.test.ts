// A second start of the stack on the same DATA_DIR keeps what the first stored: the database (a
// registered user can still log in, with the same generated JWT secret), Redis (append-only
// file), Prometheus' TSDB (samples from before the restart) and Alertmanager's silences.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { tempDir } from '../support/services.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const dir = tempDir('restart');
let stack: TestStack | undefined;

after(async () => {
  await stack?.close();
  dir.remove();
});

async function json(url: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: init?.method ?? 'GET',
    ...(init?.body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

test('a restarted stack keeps the database, Redis, the TSDB, Alertmanager silences and the JWT secret', async () => {
  const user = { email: 'restart@example.com', password: 'correct-horse-battery-9' };
  stack = await startTestStack({ DATA_DIR: dir.path });
  assert.equal((await json(`${stack.urls.api}/api/v1/auth/register`, { method: 'POST', body: user })).status, 201);
  // The stack's Redis requires the password it generated once and keeps beside its data.
  const redisUrl = () => `redis://:${encodeURIComponent(readFileSync(join(dir.path, 'redis', 'redis.password'), 'utf8').trim())}@127.0.0.1:${stack?.ports.redis}`;
  const redis = new Redis(redisUrl(), { lazyConnect: true });
  await redis.connect();
  await redis.set('e2e:restart', 'kept');
  redis.disconnect();
  const silence = await json(`${stack.urls.alertmanager}/api/v2/silences`, {
    method: 'POST',
    body: {
      matchers: [{ name: 'alertname', value: 'E2ERestart', isRegex: false, isEqual: true }],
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      createdBy: 'e2e',
      comment: 'kept across restarts',
    },
  });
  assert.equal(silence.status, 200);
  const before = Date.now() / 1000;
  const secretFile = join(dir.path, 'jwt-secret');
  const secret = readFileSync(secretFile, 'utf8');
  assert.equal(statSync(secretFile).mode & 0o777, 0o600);
  await stack.close(); // DATA_DIR is ours: close() removes only the stack's own (unused) temp dir

  stack = await startTestStack({ DATA_DIR: dir.path });
  const login = await json(`${stack.urls.api}/api/v1/auth/login`, { method: 'POST', body: user });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  assert.equal(readFileSync(secretFile, 'utf8'), secret, 'the generated JWT secret is reused');

  const redis2 = new Redis(redisUrl(), { lazyConnect: true });
  await redis2.connect();
  assert.equal(await redis2.get('e2e:restart'), 'kept');
  redis2.disconnect();

  const silences = (await json(`${stack.urls.alertmanager}/api/v2/silences`)).body as Array<{ id: string; status: { state: string } }>;
  assert.ok(silences.some((s) => s.id === silence.body.silenceID && s.status.state === 'active'), JSON.stringify(silences));

  const old = await json(`${stack.urls.prometheus}/api/v1/query?query=${encodeURIComponent('up{job="samokoder-api"}')}&time=${before}`);
  assert.equal(old.body.data.result.length, 1, `a sample from before the restart: ${JSON.stringify(old.body)}`);
});
