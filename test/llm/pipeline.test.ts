/**
 * The generation pipeline's parsing and checks: JSON extraction from model answers, path
 * safety, limits, unusable agent output as a counted `invalid_response`, and the complexity
 * heuristic.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instrument } from '../../src/llm/client.ts';
import { LlmError } from '../../src/llm/errors.ts';
import { extractJson } from '../../src/llm/json.ts';
import { PIPELINE_LIMITS, estimateComplexity, generateProjectFiles, isSafeRelativePath, readTask } from '../../src/llm/pipeline.ts';
import { errorCounts, llmConfig, llmMetrics, metricsFor, scriptedProvider } from './helpers.ts';

describe('extractJson', () => {
  test('plain JSON, a fenced block after prose, a bare object inside prose', () => {
    assert.deepEqual(extractJson('{"a":1}'), { a: 1 });
    assert.deepEqual(extractJson('Here you go:\n```json\n{"a":2}\n```\nEnjoy!'), { a: 2 });
    assert.deepEqual(extractJson('Sure. {"a":3} Hope this helps.'), { a: 3 });
  });

  test('a fenced answer whose strings contain fences themselves', () => {
    const files = { files: [{ path: 'README.md', content: '# X\n\n```bash\nnpm start\n```\n' }] };
    assert.deepEqual(extractJson(`\`\`\`json\n${JSON.stringify(files, null, 2)}\n\`\`\``), files);
  });

  test('no JSON at all: SyntaxError', () => {
    assert.throws(() => extractJson('I cannot help with that.'), SyntaxError);
  });
});

test('isSafeRelativePath keeps paths inside the project', () => {
  for (const ok of ['README.md', 'src/index.js', '.gitignore', 'a/b/c.test.ts', 'docs/ARCHITECTURE.md']) assert.ok(isSafeRelativePath(ok), ok);
  for (const bad of ['', '/etc/passwd', '../x', 'src/../../x', 'a//b', './a', 'a/./b', 'a\\b', 'C:/x', 'a\u0000b', 'src/', 'x'.repeat(PIPELINE_LIMITS.maxPathChars + 1)]) {
    assert.ok(!isSafeRelativePath(bad), JSON.stringify(bad));
  }
});

const INPUT = { name: 'Demo', description: 'A tiny demo' };
const usage = { promptTokens: 10, completionTokens: 20 };
const answer = (value: unknown) => ({ text: typeof value === 'string' ? value : JSON.stringify(value), usage });
const GOOD_PLAN = { files: [{ path: 'README.md', purpose: 'docs' }] };

/** Runs the pipeline on scripted answers; returns the outcome and the LLM metrics. */
async function run(...answers: unknown[]) {
  const provider = scriptedProvider(answers.map(answer));
  const config = llmConfig({ LLM_PROVIDER: 'openai', LLM_API_KEY: 'k', LLM_MODEL: 'stub-model' });
  const metrics = metricsFor(config);
  const client = instrument(provider, { metrics, timeoutMs: 1000, maxRetries: 2 });
  const outcome = await generateProjectFiles(client, INPUT).catch((err: unknown) => err);
  return { outcome, provider, metrics: await llmMetrics(metrics, 'openai', 'stub-model') };
}

describe('generateProjectFiles', () => {
  test('architect then code generator; the plan reaches the code generator', async () => {
    const files = { files: [{ path: 'README.md', content: '# Demo\n' }] };
    const { outcome, provider, metrics } = await run(GOOD_PLAN, files);
    assert.deepEqual(outcome, files);
    assert.deepEqual(
      provider.requests.map((r) => r.agent),
      ['architect', 'code_generator'],
    );
    assert.deepEqual(readTask(provider.requests[1]!.prompt), { project: INPUT, plan: GOOD_PLAN.files });
    assert.equal(metrics.totalErrors, 0);
  });

  const bad: [string, unknown[]][] = [
    ['a refusal in prose', ['I am sorry, I cannot do that.']],
    ['a plan that is not an object of files', [{ plan: ['README.md'] }]],
    ['an empty plan', [{ files: [] }]],
    ['a path climbing out with ..', [{ files: [{ path: '../../etc/passwd', purpose: 'x' }] }]],
    ['an absolute path', [{ files: [{ path: '/etc/cron.d/x', purpose: 'x' }] }]],
    ['too many files', [{ files: Array.from({ length: PIPELINE_LIMITS.maxFiles + 1 }, (_, i) => ({ path: `f${i}.txt`, purpose: 'x' })) }]],
    ['the same path twice', [{ files: [{ path: 'a.js', purpose: 'x' }, { path: 'a.js', purpose: 'y' }] }]],
    ['code without content', [GOOD_PLAN, { files: [{ path: 'README.md' }] }]],
    ['a file over the size limit', [GOOD_PLAN, { files: [{ path: 'README.md', content: 'x'.repeat(PIPELINE_LIMITS.maxFileBytes + 1) }] }]],
    ['generated code at an unsafe path', [GOOD_PLAN, { files: [{ path: '../README.md', content: 'x' }] }]],
  ];
  for (const [what, answers] of bad) {
    test(`${what}: LlmError invalid_response, counted once, not retried`, async () => {
      const { outcome, provider, metrics } = await run(...answers);
      assert.ok(outcome instanceof LlmError, String(outcome));
      assert.equal(outcome.errorType, 'invalid_response');
      assert.equal(provider.calls, answers.length);
      assert.deepEqual(metrics.errors, errorCounts({ invalid_response: 1 }));
      // The unusable answer still cost tokens.
      assert.equal(metrics.completionTokens, usage.completionTokens * answers.length);
    });
  }
});

describe('estimateComplexity', () => {
  test('few words and at most one feature: simple', () => {
    assert.equal(estimateComplexity('A command-line tool that prints the weather'), 'simple');
    assert.equal(estimateComplexity('A todo list with user login'), 'simple');
  });

  test('a few features: medium', () => {
    assert.equal(estimateComplexity('A REST API with user login and a Postgres database'), 'medium');
  });

  test('many features: complex, in English or Russian', () => {
    assert.equal(
      estimateComplexity('A marketplace with user accounts, Stripe payments, real-time chat, an admin dashboard, image uploads and Docker deployment'),
      'complex',
    );
    assert.equal(estimateComplexity('Телеграм-бот с оплатой подписки, базой данных пользователей и админкой'), 'complex');
  });

  test('length alone raises it: every 50 words count as a feature', () => {
    const words = (n: number) => Array.from({ length: n }, () => 'word').join(' ');
    assert.equal(estimateComplexity(words(49)), 'simple');
    assert.equal(estimateComplexity(words(100)), 'medium');
    assert.equal(estimateComplexity(words(200)), 'complex');
  });
});
