import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestApi, type TestApi } from './support/api.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const METRICS_TOKEN = 'fuzz-metrics-token-0123456789';
let api: TestApi;
before(async () => {
  api = await startTestApi({
    METRICS_TOKEN,
    REQUEST_TIMEOUT_MS: '1500',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '1000000',
    RATE_LIMIT_USER_PER_MINUTE: '1000000',
  });
});
after(() => api.close());

const TOTAL = 20_000;
const CONCURRENCY = 32;

/** The i-th malformed request: a deterministic walk through the kinds of bad input. */
function badRequest(i: number, token: string): { method: string; path: string; headers: Record<string, string>; body?: string | Buffer } {
  const json = { 'content-type': 'application/json' };
  const auth = { ...json, authorization: `Bearer ${token}` };
  const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  switch (i % 16) {
    case 0: return { method: 'POST', path: '/api/v1/auth/register', headers: json, body: '{"email":' };
    case 1: return { method: 'POST', path: '/api/v1/auth/login', headers: json, body: JSON.stringify({ email: i, password: null }) };
    case 2: return { method: 'POST', path: '/api/v1/projects', headers: auth, body: JSON.stringify({ name: ['x'], description: { a: 1 } }) };
    case 3: return { method: 'POST', path: '/api/v1/projects', headers: auth, body: JSON.stringify({ name: 'x'.repeat(101), description: 'y' }) };
    case 4: return { method: 'POST', path: '/api/v1/auth/register', headers: json, body: JSON.stringify({ email: 'a@example.com', password: 'p'.repeat(70_000) }) };
    case 5: return { method: 'POST', path: '/api/v1/auth/login', headers: json, body: nested(1 + (i % 5000)) };
    case 6: return { method: 'POST', path: '/api/v1/auth/login', headers: json, body: Buffer.concat([Buffer.from('{"email":"'), randomBytes(8), Buffer.from('"}')]) };
    case 7: return { method: 'GET', path: `/api/v1/../../etc/passwd?${i}`, headers: {} };
    case 8: return { method: 'GET', path: `/api/v1/projects/%2e%2e%2f%2e%2e%2fetc%2fpasswd`, headers: auth };
    case 9: return { method: 'GET', path: `/api/v1/projects/${randomBytes(8).toString('hex')}`, headers: auth };
    case 10: return { method: 'PROPFIND', path: '/api/v1/projects', headers: {} };
    case 11: return { method: 'DELETE', path: '/api/v1/projects', headers: auth };
    case 12: return { method: 'GET', path: '/metrics', headers: { authorization: `Bearer wrong-${i}` } };
    case 13: return { method: 'POST', path: '/api/v1/projects', headers: { authorization: 'Bearer not.a.jwt' }, body: '{}' };
    case 14: return { method: 'POST', path: '/api/v1/auth/register', headers: { 'content-type': 'text/plain' }, body: 'hello' };
    default: return { method: 'GET', path: '/api/v1/projects', headers: { ...auth, 'x-filler': 'x'.repeat(20_000) } };
  }
}

async function samokoderSeries(): Promise<number> {
  const res = await api.request('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return (res.body as string).split('\n').filter((l) => l.startsWith('samokoder_')).length;
}

/** Sends `request` and returns the status, or 0 when the server closed the connection. */
async function send(request: ReturnType<typeof badRequest>): Promise<number> {
  try {
    const res = await fetch(api.url + request.path, { method: request.method, headers: request.headers, body: request.body as BodyInit | undefined });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

test(`${TOTAL} malformed requests: only 4xx, the process serves on, memory and series count back where they were`, async () => {
  const { token } = await api.user();
  // One pass over every kind first, so every (route, method, status) series already exists.
  for (let i = 0; i < 64; i++) await send(badRequest(i, token));
  await samokoderSeries(); // scrapes are counted too: the first one creates its own series
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const seriesBefore = await samokoderSeries();

  const statuses = new Map<number, number>();
  let next = 64;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TOTAL) {
        const status = await send(badRequest(next++, token));
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );

  const summary = JSON.stringify(Object.fromEntries(statuses));
  for (const status of statuses.keys()) assert.ok(status >= 400 && status < 500, `status ${status} in ${summary}`);
  assert.equal(await samokoderSeries(), seriesBefore);
  assert.equal((await api.request('GET', '/health')).status, 200);
  gc();
  const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  assert.ok(grownMb < 32, `heap grew by ${grownMb.toFixed(1)} MiB`);
});

test('unknown methods and garbage request lines get a 400 and a closed connection', async () => {
  const url = new URL(api.url);
  for (const line of ['FOO / HTTP/1.1', 'GET /\x00 HTTP/1.1', '\x16\x03\x01 garbage']) {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), '127.0.0.1', () => socket.write(`${line}\r\nHost: x\r\n\r\n`));
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('close', () => resolve(data));
    });
    assert.match(answer, /^HTTP\/1\.1 400/, JSON.stringify(line));
  }
  assert.equal((await api.request('GET', '/health')).status, 200);
});

test('a slow client that never finishes its headers is disconnected', async () => {
  const url = new URL(api.url);
  const started = Date.now();
  const closed = await new Promise<boolean>((resolve) => {
    const socket = connect(Number(url.port), '127.0.0.1', () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\n'));
    const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 200);
    const giveUp = setTimeout(() => {
      clearInterval(trickle);
      socket.destroy();
      resolve(false);
    }, 15_000);
    socket.on('close', () => {
      clearInterval(trickle);
      clearTimeout(giveUp);
      resolve(true);
    });
    socket.on('error', () => undefined);
  });
  assert.ok(closed, 'the server kept a slow client connected for 15 s');
  assert.ok(Date.now() - started >= 1_000, 'closed before the request timeout');
  assert.equal((await api.request('GET', '/health')).status, 200);
});
