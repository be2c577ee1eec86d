/**
 * The simulator through `createLlmClient` and the real pipeline: the project it generates (and
 * that project's own test passing), determinism, token counts, runtime knobs, simulated failures
 * counted like real ones, and abortable latency.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { LlmError, createLlmClient, type LlmClient } from '../../src/llm/index.ts';
import { architectRequest, generateProjectFiles } from '../../src/llm/pipeline.ts';
import { approximateTokens } from '../../src/llm/providers/simulator.ts';
import { FAST_RETRY, errorCounts, llmConfig, llmMetrics, metricsFor } from './helpers.ts';

/** A small seeded PRNG (mulberry32), so "random" failures are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function simulator(env: Record<string, string> = {}, random?: () => number) {
  const config = llmConfig(env);
  const metrics = metricsFor(config);
  const client = createLlmClient(config, metrics, undefined, { retry: FAST_RETRY, ...(random ? { simulatorRandom: random } : {}) });
  return { client, snapshot: () => llmMetrics(metrics, 'simulator', 'simulator-v1') };
}

const knobs = (client: LlmClient) => {
  assert.ok(client.simulator, 'the simulator exposes its knobs');
  return client.simulator;
};

const TODO_API = { name: 'Todo API', description: 'A REST API for todo items with user login and a Postgres database' };

describe('the pipeline on the simulator', () => {
  test('yields a project tailored to the name and description, counted under provider simulator', async () => {
    const { client, snapshot } = simulator();
    assert.equal(client.provider, 'simulator');
    assert.equal(client.model, 'simulator-v1');
    const { files } = await generateProjectFiles(client, TODO_API);
    const byPath = new Map(files.map((f) => [f.path, f.content]));
    assert.deepEqual([...byPath.keys()], ['README.md', 'package.json', 'src/index.js', 'test/index.test.js']);
    assert.match(byPath.get('README.md')!, /^# Todo API\n\nA REST API for todo items/);
    const pkg = JSON.parse(byPath.get('package.json')!) as { name: string; scripts: Record<string, string> };
    assert.equal(pkg.name, 'todo-api');
    assert.equal(pkg.scripts.start, 'node src/index.js');
    assert.match(byPath.get('src/index.js')!, /createServer/);

    const m = await snapshot();
    assert.equal(m.architect, 1);
    assert.equal(m.codeGenerator, 1);
    assert.equal(m.durations, 2);
    assert.equal(m.totalErrors, 0);
  });

  test('token counts are a quarter of the characters, as providers report them', async () => {
    const { client, snapshot } = simulator();
    const request = architectRequest(TODO_API);
    const response = await client.complete(request);
    assert.deepEqual(response.usage, {
      promptTokens: approximateTokens(request.system + request.prompt),
      completionTokens: approximateTokens(response.text),
    });
    assert.ok(response.usage.completionTokens > 10);
    const m = await snapshot();
    assert.equal(m.promptTokens, response.usage.promptTokens);
    assert.equal(m.completionTokens, response.usage.completionTokens);
  });

  test('is deterministic: the same input gives the same files', async () => {
    const a = await generateProjectFiles(simulator().client, TODO_API);
    const b = await generateProjectFiles(simulator().client, TODO_API);
    assert.deepEqual(a, b);
  });

  test('scales the plan with complexity', async () => {
    const { client } = simulator();
    const count = async (description: string) => (await generateProjectFiles(client, { name: 'x', description })).files.length;
    assert.equal(await count('A command-line tool that prints the weather'), 3);
    assert.equal(await count(TODO_API.description), 4);
    assert.equal(await count('A marketplace with user accounts, Stripe payments, real-time chat, an admin dashboard, image uploads and Docker deployment'), 6);
  });

  const runnable = [TODO_API, { name: 'Notes CLI', description: 'A command-line notes tool with user login and a sqlite database' }];
  for (const project of runnable) {
    test(`the generated project's own test passes: ${project.name}`, { timeout: 30_000 }, async () => {
      const { files } = await generateProjectFiles(simulator().client, project);
      const dir = await mkdtemp(join(tmpdir(), 'samokoder-sim-'));
      try {
        for (const file of files) {
          await mkdir(dirname(join(dir, file.path)), { recursive: true });
          await writeFile(join(dir, file.path), file.content);
        }
        // Without NODE_TEST_CONTEXT, which would make the child report to our runner instead of stdout.
        const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
        const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'test/'], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /# pass 1\b/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('simulator knobs and failures', () => {
  test('error rate 1: every call fails, every failure counted with a realistic type', async () => {
    const { client, snapshot } = simulator({ SIMULATOR_ERROR_RATE: '1', LLM_MAX_RETRIES: '1', LLM_TIMEOUT_MS: '1000' }, seeded(42));
    for (let i = 0; i < 20; i++) {
      await assert.rejects(client.complete(architectRequest(TODO_API)), LlmError);
    }
    const m = await snapshot();
    assert.equal(m.requests, 40);
    assert.equal(m.totalErrors, 40);
    assert.equal(m.promptTokens, 0);
    const seen = Object.entries(m.errors).filter(([, n]) => n > 0).map(([type]) => type).sort();
    assert.deepEqual(seen, ['rate_limited', 'server_error', 'timeout']);
  });

  test('knobs change at runtime and are validated', async () => {
    const { client, snapshot } = simulator({ LLM_MAX_RETRIES: '0' });
    assert.deepEqual(knobs(client).knobs(), { latencyMs: 0, errorRate: 0 });
    knobs(client).setKnobs({ errorRate: 1 });
    await assert.rejects(client.complete(architectRequest(TODO_API)), LlmError);
    knobs(client).setKnobs({ errorRate: 0, latencyMs: 5 });
    assert.deepEqual(knobs(client).knobs(), { latencyMs: 5, errorRate: 0 });
    await client.complete(architectRequest(TODO_API));
    const m = await snapshot();
    assert.equal(m.requests, 2);
    assert.equal(m.totalErrors, 1);
    assert.throws(() => knobs(client).setKnobs({ errorRate: 1.5 }), RangeError);
    assert.throws(() => knobs(client).setKnobs({ latencyMs: -1 }), RangeError);
    assert.throws(() => knobs(client).setKnobs({ latencyMs: Number.NaN }), RangeError);
  });

  test('latency longer than LLM_TIMEOUT_MS: a counted timeout', { timeout: 10_000 }, async () => {
    const { client, snapshot } = simulator({ SIMULATOR_LATENCY_MS: '60000', LLM_TIMEOUT_MS: '50', LLM_MAX_RETRIES: '0' });
    await assert.rejects(client.complete(architectRequest(TODO_API)), (err: LlmError) => err.errorType === 'timeout');
    assert.deepEqual((await snapshot()).errors, errorCounts({ timeout: 1 }));
  });

  test('the latency is abortable by the caller', { timeout: 10_000 }, async () => {
    const { client, snapshot } = simulator({ SIMULATOR_LATENCY_MS: '60000' });
    const controller = new AbortController();
    const pending = client.complete(architectRequest(TODO_API), controller.signal);
    setTimeout(() => controller.abort(), 10);
    await assert.rejects(pending, (err: LlmError) => err.errorType === 'other' && /cancelled/.test(err.message));
    assert.equal((await snapshot()).totalErrors, 0);
  });
});
