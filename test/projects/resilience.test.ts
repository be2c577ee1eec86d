import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { buildApp, closeDependencies, createDependencies } from '../../src/app.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ SIMULATOR_LATENCY_MS: '1500', DB_TIMEOUT_MS: '1000' });
});
after(() => api.close());

async function statusOf(id: string): Promise<{ status: string; error: string | null }> {
  const { rows } = await api.deps.db.query<{ status: string; error: string | null }>('SELECT status, error FROM projects WHERE id = $1', [id]);
  return rows[0]!;
}

async function waitUntilFinished(id: string, timeoutMs: number): Promise<{ status: string; error: string | null }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const project = await statusOf(id).catch(() => undefined);
    if (project && project.status !== 'generating') return project;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`project ${id} still generating after ${timeoutMs} ms`);
}

test('a project accepted just before a PostgreSQL outage ends ready once the database is back', async () => {
  const { token } = await api.user();
  const res = await api.request('POST', '/api/v1/projects', { token, body: { name: 'outage', description: 'A todo list app' } });
  assert.equal(res.status, 202);
  await api.postgres.process.stop();
  // Generation finishes while the database is down; its result waits for the database.
  await new Promise((r) => setTimeout(r, 4_000));
  const during = await api.request('GET', `/api/v1/projects/${res.body.id}`, { token });
  assert.equal(during.status, 503);
  await api.postgres.restart();
  const project = await waitUntilFinished(res.body.id, 30_000);
  assert.deepEqual(project, { status: 'ready', error: null });
  const after = await api.request('GET', `/api/v1/projects/${res.body.id}`, { token });
  assert.equal(after.status, 200, 'the API recovered by itself');
  assert.ok(after.body.files.length > 0);
});

test('generation interrupted by a shutdown is resumed when the API starts again', async () => {
  const { token } = await api.user();
  const res = await api.request('POST', '/api/v1/projects', { token, body: { name: 'restart', description: 'A todo list app' } });
  assert.equal(res.status, 202);
  await api.generator.close(0); // the process is stopping: the running generation is abandoned
  assert.equal((await statusOf(res.body.id)).status, 'generating');

  const restarted = createDependencies(api.deps.config, pino({ level: 'silent' }));
  const { app, generator } = buildApp(restarted);
  try {
    assert.ok((await generator.resumeUnfinished()) >= 1);
    assert.deepEqual(await waitUntilFinished(res.body.id, 30_000), { status: 'ready', error: null });
  } finally {
    await app.close();
    await generator.close(1_000);
    await closeDependencies(restarted);
  }
});
