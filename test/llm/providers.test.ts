/**
 * The `openai` and `anthropic` providers through their REAL SDKs against the wire-compatible
 * fake (real HTTP on 127.0.0.1): answers, usage, headers, retries, every failure class, and the
 * four LLM metrics each case must move. The same cases run for both providers.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { LlmError, createLlmClient } from '../../src/llm/index.ts';
import { generateProjectFiles } from '../../src/llm/pipeline.ts';
import { refusedOrigin, startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.ts';
import { FAST_RETRY, errorCounts, llmConfig, llmMetrics, metricsFor } from './helpers.ts';

const KEY = 'sk-test-9f8e7d6c5b4a39281706SECRET';
const MODEL = 'test-model-1';

const PROVIDERS = [
  {
    name: 'openai',
    baseURL: (fake: FakeLlmServer | string) => `${typeof fake === 'string' ? fake : fake.origin}/v1`,
    path: '/v1/chat/completions',
  },
  {
    name: 'anthropic',
    baseURL: (fake: FakeLlmServer | string) => (typeof fake === 'string' ? fake : fake.origin),
    path: '/v1/messages',
  },
] as const;

/** A pino logger writing into a string, to check what is (not) logged. */
function capturedLog() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), text: () => text };
}

async function rejection(promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof LlmError, `expected an LlmError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

const REQUEST = { agent: 'architect', system: 'You are a test.', prompt: 'Say hi.', maxTokens: 64 } as const;

for (const p of PROVIDERS) {
  describe(`${p.name} provider through the real SDK`, () => {
    let fake: FakeLlmServer;
    before(async () => {
      fake = await startFakeLlmServer();
    });
    after(() => fake.close());
    beforeEach(() => {
      fake.requests.length = 0;
      fake.fallback = { kind: 'success' };
    });

    function setup(env: Record<string, string> = {}, log?: ReturnType<typeof capturedLog>['log']) {
      const config = llmConfig({
        LLM_PROVIDER: p.name,
        LLM_API_KEY: KEY,
        LLM_BASE_URL: p.baseURL(fake),
        LLM_MODEL: MODEL,
        LLM_TIMEOUT_MS: '5000',
        LLM_MAX_RETRIES: '2',
        ...env,
      });
      const metrics = metricsFor(config);
      const client = createLlmClient(config, metrics, log, { retry: FAST_RETRY });
      return { client, snapshot: () => llmMetrics(metrics, p.name, MODEL) };
    }

    test('success: text and usage from the provider, all four metrics move with the right labels', async () => {
      const { client, snapshot } = setup();
      fake.enqueue({ kind: 'success', text: 'Hi there', promptTokens: 11, completionTokens: 7 });
      const response = await client.complete(REQUEST);
      assert.deepEqual(response, { text: 'Hi there', usage: { promptTokens: 11, completionTokens: 7 } });
      assert.equal(client.provider, p.name);
      assert.equal(client.model, MODEL);

      const m = await snapshot();
      assert.equal(m.requests, 1);
      assert.equal(m.architect, 1);
      assert.equal(m.durations, 1);
      assert.equal(m.promptTokens, 11);
      assert.equal(m.completionTokens, 7);
      assert.deepEqual(m.errors, errorCounts());

      assert.equal(fake.requests.length, 1);
      const sent = fake.requests[0]!;
      assert.equal(sent.path, p.path);
      const body = sent.body as Record<string, unknown>;
      assert.equal(body.model, MODEL);
      assert.equal(body.max_tokens, 64);
      if (p.name === 'openai') {
        assert.equal(sent.headers.authorization, `Bearer ${KEY}`);
        assert.deepEqual(body.messages, [
          { role: 'system', content: REQUEST.system },
          { role: 'user', content: REQUEST.prompt },
        ]);
      } else {
        // SDK 1.x sends the key as a Bearer token; older ones used x-api-key. Either reaches the API.
        assert.ok(sent.headers.authorization === `Bearer ${KEY}` || sent.headers['x-api-key'] === KEY, 'the API key was sent');
        assert.ok(sent.headers['anthropic-version'], 'anthropic-version header sent');
        assert.equal(body.system, REQUEST.system);
        assert.deepEqual(body.messages, [{ role: 'user', content: REQUEST.prompt }]);
      }
    });

    test('429 then success: retried, both attempts counted, one rate_limited error', async () => {
      const { client, snapshot } = setup();
      fake.enqueue({ kind: 'error', status: 429, retryAfter: '1' }, { kind: 'success', text: 'ok', promptTokens: 5, completionTokens: 2 });
      const response = await client.complete(REQUEST);
      assert.equal(response.text, 'ok');
      assert.equal(fake.requests.length, 2);
      const m = await snapshot();
      assert.equal(m.requests, 2);
      assert.equal(m.durations, 2);
      assert.deepEqual(m.errors, errorCounts({ rate_limited: 1 }));
      assert.equal(m.promptTokens, 5);
    });

    test('429 carries the retry-after the provider sent', async () => {
      const { client } = setup({ LLM_MAX_RETRIES: '0' });
      fake.enqueue({ kind: 'error', status: 429, retryAfter: '7' });
      const err = await rejection(client.complete(REQUEST));
      assert.equal(err.errorType, 'rate_limited');
      assert.equal(err.status, 429);
      assert.equal(err.retryAfterMs, 7000);
    });

    test('500 until retries run out: every attempt counted, LlmError server_error, SDK retries off', async () => {
      const { client, snapshot } = setup({ LLM_MAX_RETRIES: '2' });
      fake.fallback = { kind: 'error', status: 500 };
      const err = await rejection(client.complete(REQUEST));
      assert.equal(err.errorType, 'server_error');
      assert.match(err.message, /after 3 attempts/);
      // Exactly 1 + LLM_MAX_RETRIES requests: the SDK added none of its own.
      assert.equal(fake.requests.length, 3);
      const m = await snapshot();
      assert.equal(m.requests, 3);
      assert.equal(m.durations, 3);
      assert.deepEqual(m.errors, errorCounts({ server_error: 3 }));
      assert.equal(m.promptTokens, 0);
    });

    test('an answer slower than LLM_TIMEOUT_MS: timeout, per attempt', async () => {
      const { client, snapshot } = setup({ LLM_TIMEOUT_MS: '150', LLM_MAX_RETRIES: '1' });
      fake.fallback = { kind: 'delay', ms: 30_000 };
      const err = await rejection(client.complete(REQUEST));
      assert.equal(err.errorType, 'timeout');
      assert.equal(fake.requests.length, 2);
      const m = await snapshot();
      assert.equal(m.requests, 2);
      assert.deepEqual(m.errors, errorCounts({ timeout: 2 }));
    });

    test('malformed JSON body: invalid_response, not retried', async () => {
      const { client, snapshot } = setup();
      fake.enqueue({ kind: 'malformed' });
      const err = await rejection(client.complete(REQUEST));
      assert.equal(err.errorType, 'invalid_response');
      assert.equal(fake.requests.length, 1);
      assert.deepEqual((await snapshot()).errors, errorCounts({ invalid_response: 1 }));
    });

    test('valid JSON without the answer fields: invalid_response', async () => {
      const { client, snapshot } = setup();
      fake.enqueue({ kind: 'json', body: { id: 'x', object: 'chat.completion', type: 'message', usage: {} } });
      const err = await rejection(client.complete(REQUEST));
      assert.equal(err.errorType, 'invalid_response');
      assert.deepEqual((await snapshot()).errors, errorCounts({ invalid_response: 1 }));
    });

    test('connection refused: connection, retried', async () => {
      const origin = await refusedOrigin();
      const { client, snapshot } = setup({ LLM_BASE_URL: p.baseURL(origin), LLM_MAX_RETRIES: '1' });
      const err = await rejection(client.complete(REQUEST));
      assert.equal(err.errorType, 'connection');
      const m = await snapshot();
      assert.equal(m.requests, 2);
      assert.deepEqual(m.errors, errorCounts({ connection: 2 }));
    });

    test('connection reset by the server: connection, then success on retry', async () => {
      const { client, snapshot } = setup();
      fake.enqueue({ kind: 'reset' }, { kind: 'success', text: 'back' });
      assert.equal((await client.complete(REQUEST)).text, 'back');
      assert.deepEqual((await snapshot()).errors, errorCounts({ connection: 1 }));
    });

    test('401: auth, not retried; the key is in no error message and no log line', async () => {
      const captured = capturedLog();
      const { client, snapshot } = setup({}, captured.log);
      // A proxy that echoes the key it refused: the worst case for leaking it.
      fake.enqueue({ kind: 'error', status: 401, message: `Incorrect API key provided: ${KEY}` });
      const err = await rejection(client.complete(REQUEST));
      assert.equal(err.errorType, 'auth');
      assert.equal(fake.requests.length, 1);
      assert.deepEqual((await snapshot()).errors, errorCounts({ auth: 1 }));
      assert.ok(!err.message.includes(KEY), err.message);
      assert.ok(!JSON.stringify(err).includes(KEY));
      assert.match(captured.text(), /llm call failed/);
      assert.ok(!captured.text().includes(KEY), 'the API key was logged');
    });

    test('other 4xx: bad_request, not retried', async () => {
      const { client, snapshot } = setup();
      fake.enqueue({ kind: 'error', status: 400, message: 'max_tokens is too large' });
      const err = await rejection(client.complete(REQUEST));
      assert.equal(err.errorType, 'bad_request');
      assert.equal(fake.requests.length, 1);
      assert.deepEqual((await snapshot()).errors, errorCounts({ bad_request: 1 }));
    });

    test('the caller aborting cancels the request: counted as sent, not as a provider error', async () => {
      const { client, snapshot } = setup();
      fake.fallback = { kind: 'delay', ms: 30_000 };
      const controller = new AbortController();
      const pending = client.complete(REQUEST, controller.signal);
      // Abort once the request has reached the fake (bounded wait).
      for (let i = 0; i < 200 && fake.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(fake.requests.length, 1);
      controller.abort();
      const err = await rejection(pending);
      assert.equal(err.errorType, 'other');
      assert.equal(err.retryable, false);
      assert.match(err.message, /cancelled/);
      const m = await snapshot();
      assert.equal(m.requests, 1);
      assert.equal(m.totalErrors, 0);
    });

    test('the pipeline runs through the real SDK: fenced plan, then files', async () => {
      const { client, snapshot } = setup();
      fake.enqueue(
        { kind: 'success', text: 'Sure! Here is the plan:\n```json\n{"files":[{"path":"README.md","purpose":"docs"},{"path":"src/main.py","purpose":"entry"}]}\n```' },
        { kind: 'success', text: '{"files":[{"path":"README.md","content":"# Demo\\n"},{"path":"src/main.py","content":"print(1)\\n"}]}' },
      );
      const result = await generateProjectFiles(client, { name: 'Demo', description: 'A tiny demo' });
      assert.deepEqual(result.files, [
        { path: 'README.md', content: '# Demo\n' },
        { path: 'src/main.py', content: 'print(1)\n' },
      ]);
      const codeGenPrompt = (fake.requests[1]!.body as { messages: { content: string }[] }).messages.at(-1)!.content;
      assert.match(codeGenPrompt, /src\/main\.py/, 'the plan reaches the code generator');
      const m = await snapshot();
      assert.equal(m.architect, 1);
      assert.equal(m.codeGenerator, 1);
      assert.equal(m.totalErrors, 0);
    });
  });
}
