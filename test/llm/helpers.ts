/**
 * Shared setup of the LLM tests: configuration through the real env schema, real metrics, fast
 * backoff, and one snapshot of the four LLM metrics to assert on.
 */
import { apiSchema, parseEnv } from '../../src/config.ts';
import type { RetryOptions } from '../../src/llm/client.ts';
import { resolveLlmSettings, type LlmConfig } from '../../src/llm/settings.ts';
import type { LlmProvider, LlmRequest, LlmResponse } from '../../src/llm/types.ts';
import { LLM_ERROR_TYPES, type LlmErrorType } from '../../src/metrics/catalogue.ts';
import { createMetrics, type Metrics } from '../../src/metrics/registry.ts';
import { sampleValue } from '../support/metric-values.ts';

const llmSchema = apiSchema.pick({
  LLM_PROVIDER: true,
  LLM_API_KEY: true,
  LLM_BASE_URL: true,
  LLM_MODEL: true,
  LLM_TIMEOUT_MS: true,
  LLM_MAX_RETRIES: true,
  SIMULATOR_LATENCY_MS: true,
  SIMULATOR_ERROR_RATE: true,
});

/** The LLM part of the configuration, parsed from `env` strings like the API does. */
export function llmConfig(env: Record<string, string>): LlmConfig {
  return parseEnv(llmSchema, { SIMULATOR_LATENCY_MS: '0', ...env });
}

/** Real metrics whose initial LLM series match `config`, as the API creates them. */
export function metricsFor(config: LlmConfig): Metrics {
  const { provider, model } = resolveLlmSettings(config);
  return createMetrics({ version: 'test', environment: 'test', llm: { provider, model }, llmTokenBudgetPerHour: 1_000_000, diskPaths: ['/'] });
}

/** Backoff small enough that retry tests take milliseconds. */
export const FAST_RETRY: RetryOptions = { backoffBaseMs: 1, backoffMaxMs: 4, retryAfterCapMs: 10 };

/** The four LLM metrics of one provider and model, as numbers. */
export async function llmMetrics(metrics: Metrics, provider: string, model: string) {
  const r = metrics.registry;
  const errors = {} as Record<LlmErrorType, number>;
  for (const type of LLM_ERROR_TYPES) errors[type] = await sampleValue(r, 'samokoder_llm_request_errors_total', { provider, error_type: type });
  return {
    requests: await sampleValue(r, 'samokoder_llm_requests_total', { provider, model }),
    architect: await sampleValue(r, 'samokoder_llm_requests_total', { provider, model, agent: 'architect' }),
    codeGenerator: await sampleValue(r, 'samokoder_llm_requests_total', { provider, model, agent: 'code_generator' }),
    durations: await sampleValue(r, 'samokoder_llm_request_duration_seconds_count', { provider, model }),
    promptTokens: await sampleValue(r, 'samokoder_llm_tokens_consumed_total', { provider, model, token_type: 'prompt' }),
    completionTokens: await sampleValue(r, 'samokoder_llm_tokens_consumed_total', { provider, model, token_type: 'completion' }),
    errors,
    totalErrors: Object.values(errors).reduce((a, b) => a + b, 0),
  };
}

/** `{timeout: 0, ..., [type]: n}`: the error counters expected when only `counts` moved. */
export function errorCounts(counts: Partial<Record<LlmErrorType, number>> = {}): Record<LlmErrorType, number> {
  return Object.fromEntries(LLM_ERROR_TYPES.map((t) => [t, counts[t] ?? 0])) as Record<LlmErrorType, number>;
}

/** A provider that answers from a script (an LlmResponse, or an error to throw); the last entry repeats. */
export function scriptedProvider(script: (LlmResponse | Error)[]): LlmProvider & { calls: number; requests: LlmRequest[] } {
  const provider = {
    name: 'openai' as const,
    model: 'stub-model',
    calls: 0,
    requests: [] as LlmRequest[],
    async send(req: LlmRequest) {
      provider.requests.push(req);
      const next = script[Math.min(provider.calls++, script.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return provider;
}
