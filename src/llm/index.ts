/**
 * Entry point of the LLM layer: builds the one client the API uses from the configuration.
 *
 * `createLlmClient` picks the provider (`resolveLlmSettings`), builds it, and wraps it in the
 * instrumented, retrying wrapper of `client.ts`. The generation pipeline lives in
 * `pipeline.ts`; the provider implementations under `providers/`.
 */
import type { Metrics } from '../metrics/registry.ts';
import { instrument, type RetryOptions } from './client.ts';
import { anthropicProvider } from './providers/anthropic.ts';
import { openaiProvider } from './providers/openai.ts';
import { simulatorProvider } from './providers/simulator.ts';
import { DEFAULT_MAX_TOKENS, resolveLlmSettings, type LlmConfig } from './settings.ts';
import type { LlmClient, LlmLogger, LlmProvider } from './types.ts';

export { LlmError } from './errors.ts';
export { resolveLlmSettings, DEFAULT_MODELS, type LlmConfig, type LlmSettings } from './settings.ts';
export type { LlmClient, LlmLogger, LlmRequest, LlmResponse, SimulatorKnobs, SimulatorSettings } from './types.ts';

/** Tuning for tests and benchmarks; production passes nothing. */
export interface LlmClientOptions {
  retry?: RetryOptions;
  /** Randomness of the simulator (latency jitter, which calls fail). */
  simulatorRandom?: () => number;
}

/**
 * Creates the LLM client for `config`. Throws a `ConfigError` when `openai` or `anthropic` is
 * chosen without `LLM_API_KEY`. The key is never logged.
 */
export function createLlmClient(
  config: LlmConfig,
  metrics: Pick<Metrics, 'recordLlmCall'>,
  log?: LlmLogger,
  options: LlmClientOptions = {},
): LlmClient {
  const settings = resolveLlmSettings(config);
  let provider: LlmProvider;
  if (settings.provider === 'simulator') {
    provider = simulatorProvider({
      latencyMs: config.SIMULATOR_LATENCY_MS,
      errorRate: config.SIMULATOR_ERROR_RATE,
      ...(options.simulatorRandom ? { random: options.simulatorRandom } : {}),
    });
  } else {
    const http = {
      model: settings.model,
      apiKey: settings.apiKey!,
      baseURL: config.LLM_BASE_URL,
      timeoutMs: config.LLM_TIMEOUT_MS,
      defaultMaxTokens: DEFAULT_MAX_TOKENS,
    };
    provider = settings.provider === 'openai' ? openaiProvider(http) : anthropicProvider(http);
  }
  log?.info({ provider: provider.name, model: provider.model, timeoutMs: config.LLM_TIMEOUT_MS, maxRetries: config.LLM_MAX_RETRIES }, 'llm provider configured');
  return instrument(provider, {
    metrics,
    log,
    timeoutMs: config.LLM_TIMEOUT_MS,
    maxRetries: config.LLM_MAX_RETRIES,
    secret: settings.apiKey,
    retry: options.retry,
  });
}
