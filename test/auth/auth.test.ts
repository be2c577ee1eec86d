import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SignJWT } from 'jose';
import { createUsers } from '../../src/auth/users.ts';
import { sampleValue, startTestApi, type TestApi } from '../support/api.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ RATE_LIMIT_LOGIN_PER_MINUTE: '1000', JWT_TTL_SECONDS: '2' });
});
after(() => api.close());

const password = 'correct horse battery';

test('register creates a free-tier user; the same email again is 409', async () => {
  const res = await api.request('POST', '/api/v1/auth/register', { body: { email: 'Ann@Example.com', password } });
  assert.equal(res.status, 201);
  assert.equal(res.body.email, 'ann@example.com');
  assert.equal(res.body.tier, 'free');
  assert.match(res.body.id, /^[0-9a-f-]{36}$/);
  assert.equal(res.body.password_hash, undefined);
  const again = await api.request('POST', '/api/v1/auth/register', { body: { email: 'ann@example.com', password } });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'email_taken');
});

test('register rejects a tier chosen by the user and bad fields with 400', async () => {
  const withTier = await api.request('POST', '/api/v1/auth/register', { body: { email: 'tier@example.com', password, tier: 'enterprise' } });
  assert.equal(withTier.status, 400);
  assert.equal(withTier.body.error.code, 'invalid_request');
  const badEmail = await api.request('POST', '/api/v1/auth/register', { body: { email: 'not-an-email', password } });
  assert.equal(badEmail.status, 400);
  assert.match(badEmail.body.error.message, /email/);
});

test('login returns a short-lived HS256 token; wrong password is 401 and counted', async () => {
  const { email } = await api.user();
  const before = sampleValue(await api.metric('samokoder_auth_attempts_total'), 'samokoder_auth_attempts_total', { result: 'failure' }) ?? 0;
  const bad = await api.request('POST', '/api/v1/auth/login', { body: { email, password: 'wrong password!' } });
  assert.equal(bad.status, 401);
  assert.equal(bad.body.error.code, 'invalid_credentials');
  const after = sampleValue(await api.metric('samokoder_auth_attempts_total'), 'samokoder_auth_attempts_total', { result: 'failure' });
  assert.equal(after, before + 1);

  const ok = await api.request('POST', '/api/v1/auth/login', { body: { email, password } });
  assert.equal(ok.status, 200);
  const [header, payload] = (ok.body.access_token as string).split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
  assert.equal(header.alg, 'HS256');
  assert.equal(payload.exp - payload.iat, 2);
});

test('five failed logins in a row lock the account (429), even for the right password', async () => {
  const { email } = await api.user();
  for (let i = 0; i < 5; i++) {
    assert.equal((await api.request('POST', '/api/v1/auth/login', { body: { email, password: `wrong ${i} password` } })).status, 401);
  }
  const locked = await api.request('POST', '/api/v1/auth/login', { body: { email, password } });
  assert.equal(locked.status, 429);
  assert.equal(locked.body.error.code, 'account_locked');
  assert.ok(Number(locked.headers.get('retry-after')) > 0);
  assert.ok((sampleValue(await api.metric('samokoder_auth_attempts_total'), 'samokoder_auth_attempts_total', { result: 'locked' }) ?? 0) >= 1);
});

test('failed logins arriving at once each count: five concurrent failures lock the account', async () => {
  const { email } = await api.user();
  const users = createUsers(api.deps.db);
  const user = (await users.findByEmail(email))!;
  await Promise.all(Array.from({ length: 5 }, () => users.recordFailure(user.id)));
  const { rows } = await api.deps.db.query<{ failed_logins: number; locked: boolean }>('SELECT failed_logins, locked_until > now() AS locked FROM users WHERE id = $1', [user.id]);
  assert.deepEqual(rows[0], { failed_logins: 0, locked: true });
  await users.resetFailures(user.id);
  await Promise.all(Array.from({ length: 4 }, () => users.recordFailure(user.id)));
  const four = await api.deps.db.query<{ failed_logins: number; locked: boolean | null }>('SELECT failed_logins, locked_until > now() AS locked FROM users WHERE id = $1', [user.id]);
  assert.deepEqual(four.rows[0], { failed_logins: 4, locked: null });
});

test('a token signed with alg none, another secret, or expired is refused', async () => {
  const { token } = await api.user();
  assert.equal((await api.request('GET', '/api/v1/projects', { token })).status, 200);
  const [, payload] = token.split('.');
  const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
  assert.equal((await api.request('GET', '/api/v1/projects', { token: none })).status, 401);
  const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer('samokoder').setExpirationTime('1h').sign(new TextEncoder().encode('another secret of at least 32 chars!!'));
  assert.equal((await api.request('GET', '/api/v1/projects', { token: forged })).status, 401);
  assert.equal((await api.request('GET', '/api/v1/projects')).status, 401);
  await new Promise((r) => setTimeout(r, 3_100));
  const expired = await api.request('GET', '/api/v1/projects', { token });
  assert.equal(expired.status, 401);
  assert.equal(expired.body.error.code, 'unauthorized');
});

test('passwords are stored as scrypt hashes, never in clear', async () => {
  const { email } = await api.user();
  const { rows } = await api.deps.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = $1', [email]);
  assert.match(rows[0]!.password_hash, /^scrypt\$16384\$8\$1\$/);
  assert.ok(!rows[0]!.password_hash.includes(password));
});
