import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { buildApp, closeDependencies, createDependencies } from '../../src/app.ts';
import { createGenerator, type GenerateFiles } from '../../src/projects/generator.ts';
import { createProjects } from '../../src/projects/repository.ts';
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

/**
 * An API instance's generation side on the test database: its own claims (a short lease), and a
 * generator that records which instance generated which project and takes `workMs` per project.
 */
function instance(name: string, generatedBy: Map<string, string[]>, workMs: number) {
  const projects = createProjects(api.deps.db, { instance: name, claimMs: 600 });
  const generate: GenerateFiles = async (_llm, input, signal) => {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, workMs);
      signal?.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('aborted'))), { once: true });
    });
    generatedBy.set(input.name, [...(generatedBy.get(input.name) ?? []), name]);
    return { files: [{ path: 'README.md', content: name }] };
  };
  const generator = createGenerator({ projects, llm: api.deps.llm, generate, metrics: { observeGeneration: () => {} }, log: pino({ level: 'silent' }), concurrency: 2 });
  return { projects, generator };
}

async function userId(): Promise<string> {
  const { email } = await api.user();
  return (await api.deps.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email])).rows[0]!.id;
}

test('with several instances, a project another live instance holds is never taken: each is generated once', async () => {
  const generatedBy = new Map<string, string[]>();
  const a = instance('instance-a', generatedBy, 2_000); // longer than the lease: A must renew its claim
  const b = instance('instance-b', generatedBy, 50);
  const owner = await userId();
  try {
    const created = await a.projects.create(owner, { name: 'held-by-a', description: 'x', complexity: 'simple' });
    assert.ok(created.created);
    a.generator.enqueue(created.project);
    // B looks for work at start and every 200 ms while A works on it.
    assert.equal(await b.generator.resumeUnfinished(), 0);
    assert.deepEqual(await waitUntilFinished(created.project.id, 10_000), { status: 'ready', error: null });
    assert.deepEqual(generatedBy.get('held-by-a'), ['instance-a']);
  } finally {
    await Promise.all([a.generator.close(0), b.generator.close(0)]);
  }
});

test("a crashed instance's project is taken over by another once its claim lapses", async () => {
  const generatedBy = new Map<string, string[]>();
  const survivor = instance('survivor', generatedBy, 50);
  const owner = await userId();
  try {
    // What a crash leaves: a project in `generating`, claimed by an instance that renews nothing.
    const crashed = createProjects(api.deps.db, { instance: 'crashed', claimMs: 1_000 });
    const created = await crashed.create(owner, { name: 'orphan', description: 'x', complexity: 'simple' });
    assert.ok(created.created);
    assert.equal(await survivor.generator.resumeUnfinished(), 0, 'taken while the claim still held');
    assert.deepEqual(await waitUntilFinished(created.project.id, 10_000), { status: 'ready', error: null });
    assert.deepEqual(generatedBy.get('orphan'), ['survivor']);
  } finally {
    await survivor.generator.close(0);
  }
});

test('a stopping instance releases its claims: another instance takes the project at once', async () => {
  const generatedBy = new Map<string, string[]>();
  const stopping = instance('stopping', generatedBy, 60_000);
  const owner = await userId();
  const created = await stopping.projects.create(owner, { name: 'released', description: 'x', complexity: 'simple' });
  assert.ok(created.created);
  stopping.generator.enqueue(created.project);
  await stopping.generator.close(0);
  const next = instance('next', generatedBy, 50);
  try {
    assert.equal(await next.generator.resumeUnfinished(), 1);
    assert.deepEqual(await waitUntilFinished(created.project.id, 10_000), { status: 'ready', error: null });
    assert.deepEqual(generatedBy.get('released'), ['next']);
  } finally {
    await next.generator.close(0);
  }
});

test('an instance whose claim another instance took over (it lapsed during an outage) abandons the project', async () => {
  const generatedBy = new Map<string, string[]>();
  const slow = instance('slow', generatedBy, 3_000);
  const owner = await userId();
  try {
    const created = await slow.projects.create(owner, { name: 'taken-over', description: 'x', complexity: 'simple' });
    assert.ok(created.created);
    slow.generator.enqueue(created.project);
    // What a takeover leaves in the table: the claim held by another, live instance.
    await api.deps.db.query("UPDATE projects SET claimed_by = 'other', claim_expires_at = now() + interval '1 hour' WHERE id = $1", [created.project.id]);
    const deadline = Date.now() + 2_000;
    while (slow.generator.pending() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(slow.generator.pending(), 0, 'still working on a project another instance holds');
    assert.equal(generatedBy.get('taken-over'), undefined);
    assert.equal((await statusOf(created.project.id)).status, 'generating', 'it wrote nothing');
  } finally {
    await slow.generator.close(0);
  }
});
