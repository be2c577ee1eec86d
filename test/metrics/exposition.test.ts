import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { requireBinary } from '../../src/packages.ts';
import { catalogue } from '../../src/metrics/catalogue.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000', RATE_LIMIT_USER_PER_MINUTE: '100000' });
});
after(() => api.close());

/** Number of samokoder_* series in the exposition. */
async function samokoderSeries(): Promise<number> {
  const res = await api.request('GET', '/metrics');
  return (res.body as string).split('\n').filter((l) => l.startsWith('samokoder_')).length;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'PROPFIND', 'MKCOL'];

test('10,000 requests to random paths, ids and methods leave the series count exactly as it was', async () => {
  const { token } = await api.user();
  const randomPath = (i: number) => [`/x/${randomUUID()}`, `/api/v1/projects/${randomUUID()}`, `/api/v1/${i}?q=${randomUUID()}`, `/${'a'.repeat(i % 200)}`][i % 4] as string;
  const send = (i: number) =>
    fetch(api.url + randomPath(i), { method: METHODS[i % METHODS.length], headers: i % 3 === 0 ? { authorization: `Bearer ${token}` } : {} }).then((r) => r.arrayBuffer());
  // The first pass creates every (method, endpoint, status) combination the loop can produce.
  for (let i = 0; i < 100; i++) await send(i);
  await samokoderSeries(); // scrapes are counted too: the first one creates its own series
  const before = await samokoderSeries();
  for (let batch = 0; batch < 100; batch++) await Promise.all(Array.from({ length: 100 }, (_, j) => send(batch * 100 + j + 100)));
  assert.equal(await samokoderSeries(), before);
});

test('/metrics answers 200 in the text format with every catalogue metric, and passes promtool check metrics', async () => {
  const res = await fetch(`${api.url}/metrics`, { redirect: 'manual' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  for (const def of Object.values(catalogue)) assert.ok(text.includes(`# TYPE ${def.name} `), `${def.name} missing from /metrics`);
  const check = spawnSync(requireBinary('promtool'), ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(`${check.stdout}${check.stderr}`, '');
  assert.equal(check.status, 0);
});

test('series that alerts divide by exist at zero before any event', async () => {
  const text = (await api.request('GET', '/metrics')).body as string;
  for (const tier of ['free', 'pro', 'enterprise']) assert.ok(text.includes(`samokoder_projects_created_total{user_tier="${tier}"}`), tier);
  assert.match(text, /samokoder_llm_request_errors_total\{provider="simulator",error_type="server_error"\} 0/);
  assert.match(text, /samokoder_llm_token_budget_per_hour \d+/);
  assert.match(text, /samokoder_app_info\{version="[^"]+",environment="test"\} 1/);
});
