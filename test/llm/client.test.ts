/**
 * The wrapper's pure parts and policies without HTTP: provider resolution, error classification,
 * retry-after parsing, backoff, and the retry loop around a scripted in-process provider.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config.ts';
import { backoffDelayMs, instrument } from '../../src/llm/client.ts';
import { LlmError, classifyError, errorTypeForStatus, parseRetryAfter } from '../../src/llm/errors.ts';
import { createLlmClient } from '../../src/llm/index.ts';
import { resolveLlmSettings } from '../../src/llm/settings.ts';
import type { LlmProvider } from '../../src/llm/types.ts';
import { FAST_RETRY, errorCounts, llmConfig, llmMetrics, metricsFor, scriptedProvider } from './helpers.ts';

describe('provider resolution', () => {
  test('no key and no provider: the simulator, model simulator-v1', () => {
    assert.deepEqual(resolveLlmSettings(llmConfig({})), { provider: 'simulator', model: 'simulator-v1' });
  });

  test('a key without a provider: openai with its default model', () => {
    const settings = resolveLlmSettings(llmConfig({ LLM_API_KEY: 'sk-x' }));
    assert.equal(settings.provider, 'openai');
    assert.equal(settings.model, 'gpt-4.1-mini');
  });

  test('LLM_MODEL picks the model of a real provider', () => {
    assert.equal(resolveLlmSettings(llmConfig({ LLM_PROVIDER: 'anthropic', LLM_API_KEY: 'k', LLM_MODEL: 'claude-haiku-4-5' })).model, 'claude-haiku-4-5');
  });

  test('the simulator never poses as a real model', () => {
    assert.equal(resolveLlmSettings(llmConfig({ LLM_PROVIDER: 'simulator', LLM_MODEL: 'gpt-4o' })).model, 'simulator-v1');
  });

  for (const provider of ['openai', 'anthropic']) {
    test(`${provider} without a key: a ConfigError naming LLM_API_KEY, from createLlmClient too`, () => {
      const config = llmConfig({ LLM_PROVIDER: provider });
      assert.throws(() => resolveLlmSettings(config), (err: unknown) => err instanceof ConfigError && /LLM_API_KEY/.test(err.message));
      assert.throws(() => createLlmClient(config, { recordLlmCall: () => {} }), ConfigError);
    });
  }
});

describe('error classification', () => {
  test('HTTP statuses map onto the catalogue error types', () => {
    const cases: [number, string][] = [
      [429, 'rate_limited'],
      [500, 'server_error'],
      [503, 'server_error'],
      [529, 'server_error'],
      [401, 'auth'],
      [403, 'auth'],
      [400, 'bad_request'],
      [404, 'bad_request'],
      [408, 'timeout'],
    ];
    for (const [status, type] of cases) assert.equal(errorTypeForStatus(status), type, `HTTP ${status}`);
  });

  const ctx = { provider: 'openai', timedOut: false, timeoutMs: 1000 } as const;

  test('our timeout wins over whatever error surfaced', () => {
    assert.equal(classifyError(new DOMException('aborted', 'AbortError'), { ...ctx, timedOut: true }).errorType, 'timeout');
  });

  test('network codes along the cause chain: connection, or timeout for connect timeouts', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    assert.equal(classifyError(refused, ctx).errorType, 'connection');
    const dns = new Error('wrapper', { cause: new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }) }) });
    assert.equal(classifyError(dns, ctx).errorType, 'connection');
    const slow = new TypeError('fetch failed', { cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) });
    assert.equal(classifyError(slow, ctx).errorType, 'timeout');
  });

  test('a JSON syntax error is invalid_response; anything unknown is other', () => {
    assert.equal(classifyError(new SyntaxError('Unexpected end of JSON input'), ctx).errorType, 'invalid_response');
    assert.equal(classifyError(new Error('weird'), ctx).errorType, 'other');
    assert.equal(classifyError('a string', ctx).errorType, 'other');
  });

  test('the key is redacted from messages', () => {
    const err = classifyError(new Error('proxy refused key sk-live-123456'), { ...ctx, secret: 'sk-live-123456' });
    assert.ok(!err.message.includes('sk-live-123456'));
    assert.match(err.message, /\[redacted\]/);
  });

  test('retryable types are timeout, rate_limited, server_error and connection only', () => {
    const retryable = (['timeout', 'rate_limited', 'server_error', 'connection', 'auth', 'bad_request', 'invalid_response', 'other'] as const).filter(
      (type) => new LlmError(type, 'x').retryable,
    );
    assert.deepEqual(retryable, ['timeout', 'rate_limited', 'server_error', 'connection']);
  });
});

describe('retry-after and backoff', () => {
  test('retry-after in seconds, retry-after-ms, an HTTP date; nothing for garbage', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '2' })), 2000);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '2', 'retry-after-ms': '150' })), 150);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }), now), 5000);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' })), undefined);
    assert.equal(parseRetryAfter(new Headers()), undefined);
  });

  const plain = new LlmError('server_error', 'x');
  const options = { backoffBaseMs: 100, backoffMaxMs: 1000, retryAfterCapMs: 5000 };

  test('exponential steps with jitter between half and the whole step, capped', () => {
    const low = (retry: number) => backoffDelayMs(retry, plain, { ...options, random: () => 0 });
    const high = (retry: number) => backoffDelayMs(retry, plain, { ...options, random: () => 1 });
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(high), [100, 200, 400, 800, 1000, 1000]);
    assert.deepEqual([0, 1, 2].map(low), [50, 100, 200]);
  });

  test('a retry-after is honoured, up to its cap', () => {
    const asked = (ms: number) => new LlmError('rate_limited', 'x', { retryAfterMs: ms });
    assert.equal(backoffDelayMs(0, asked(3000), { ...options, random: () => 0 }), 3000);
    assert.equal(backoffDelayMs(0, asked(60_000), { ...options, random: () => 0 }), 5000);
    // A short retry-after does not shorten the backoff.
    assert.equal(backoffDelayMs(3, asked(10), { ...options, random: () => 1 }), 800);
  });
});

describe('the retry loop', () => {
  const config = llmConfig({ LLM_PROVIDER: 'openai', LLM_API_KEY: 'k', LLM_MODEL: 'stub-model' });
  const request = { agent: 'code_generator', system: 's', prompt: 'p' } as const;
  const wrap = (provider: LlmProvider, maxRetries: number, retry = FAST_RETRY) => {
    const metrics = metricsFor(config);
    const client = instrument(provider, { metrics, timeoutMs: 1000, maxRetries, retry });
    return { client, snapshot: () => llmMetrics(metrics, 'openai', 'stub-model') };
  };

  test('a non-retryable failure is tried once', async () => {
    const provider = scriptedProvider([new LlmError('auth', 'no')]);
    const { client, snapshot } = wrap(provider, 3);
    await assert.rejects(client.complete(request), (err: LlmError) => err.errorType === 'auth');
    assert.equal(provider.calls, 1);
    assert.deepEqual((await snapshot()).errors, errorCounts({ auth: 1 }));
  });

  test('retries are bounded by LLM_MAX_RETRIES', async () => {
    const provider = scriptedProvider([new LlmError('connection', 'down')]);
    const { client, snapshot } = wrap(provider, 4);
    await assert.rejects(client.complete(request), (err: LlmError) => err.errorType === 'connection' && /after 5 attempts/.test(err.message));
    assert.equal(provider.calls, 5);
    const m = await snapshot();
    assert.equal(m.codeGenerator, 5);
    assert.deepEqual(m.errors, errorCounts({ connection: 5 }));
  });

  test('output rejected by validate: invalid_response, its tokens still counted, not retried', async () => {
    const provider = scriptedProvider([{ text: 'not what we wanted', usage: { promptTokens: 12, completionTokens: 4 } }]);
    const { client, snapshot } = wrap(provider, 2);
    const validate = () => {
      throw new Error('no JSON');
    };
    await assert.rejects(client.complete({ ...request, validate }), (err: LlmError) => err.errorType === 'invalid_response' && /no JSON/.test(err.message));
    assert.equal(provider.calls, 1);
    const m = await snapshot();
    assert.equal(m.promptTokens, 12);
    assert.equal(m.completionTokens, 4);
    assert.deepEqual(m.errors, errorCounts({ invalid_response: 1 }));
  });

  test('an abort during the backoff wait ends the call at once', { timeout: 10_000 }, async () => {
    // The provider asks for a minute; only an abortable wait lets this test finish.
    const provider = scriptedProvider([new LlmError('rate_limited', 'slow down', { retryAfterMs: 60_000 })]);
    const { client, snapshot } = wrap(provider, 2, { retryAfterCapMs: 60_000 });
    const controller = new AbortController();
    const pending = client.complete(request, controller.signal);
    setImmediate(() => controller.abort());
    await assert.rejects(pending, (err: LlmError) => err.errorType === 'other' && /cancelled/.test(err.message));
    assert.equal(provider.calls, 1);
    assert.deepEqual((await snapshot()).errors, errorCounts({ rate_limited: 1 }));
  });

  test('an already aborted signal sends nothing', async () => {
    const provider = scriptedProvider([{ text: 'x', usage: { promptTokens: 1, completionTokens: 1 } }]);
    const { client, snapshot } = wrap(provider, 2);
    await assert.rejects(client.complete(request, AbortSignal.abort()), LlmError);
    assert.equal(provider.calls, 0);
    assert.equal((await snapshot()).requests, 0);
  });
});
