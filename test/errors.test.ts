import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApi, type TestApi } from './support/api.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000' });
});
after(() => api.close());

const register = '/api/v1/auth/register';

const cases: [string, { body: unknown; headers?: Record<string, string> }, number, string][] = [
  ['malformed JSON', { body: '{"email": "a@b.c", ' }, 400, 'invalid_json'],
  ['wrong types', { body: { email: 42, password: ['x'] } }, 400, 'invalid_request'],
  ['unknown fields', { body: { email: 'a@example.com', password: 'long enough', admin: true } }, 400, 'invalid_request'],
  ['missing fields', { body: {} }, 400, 'invalid_request'],
  ['a JSON array', { body: '[1,2,3]' }, 400, 'invalid_request'],
  ['oversized body', { body: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(100_000) }) }, 413, 'body_too_large'],
  ['invalid UTF-8', { body: Buffer.concat([Buffer.from('{"email":"'), Buffer.from([0xff, 0xfe]), Buffer.from('@example.com","password":"long enough"}')]) }, 400, 'invalid_utf8'],
  ['deep nesting', { body: '['.repeat(20_000) + ']'.repeat(20_000) }, 400, 'invalid_request'],
  ['wrong content type', { body: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported_media_type'],
];

for (const [name, input, status, code] of cases) {
  test(`bad input (${name}) gets ${status} ${code}`, async () => {
    const res = await api.request('POST', register, input as { body: unknown });
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.error.code, code);
    assert.equal(typeof res.body.error.message, 'string');
    assert.ok(res.body.error.message.length > 0);
  });
}

test('an unknown route is a JSON 404', async () => {
  const res = await api.request('GET', '/../../etc/passwd');
  assert.equal(res.status, 404);
  assert.deepEqual(res.body, { error: { code: 'not_found', message: 'No such route' } });
});
