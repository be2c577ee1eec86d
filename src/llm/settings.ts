/**
 * Which provider and model the API uses, resolved once from the `LLM_*` variables of
 * `src/config.ts`. The same resolution feeds the client and `createMetrics` (whose LLM series
 * must carry the same provider and model labels from the start).
 *
 * - `LLM_PROVIDER` unset: `openai` when `LLM_API_KEY` is set, else the `simulator`.
 * - `openai` or `anthropic` without `LLM_API_KEY`: a {@link ConfigError} naming it.
 * - The simulator is always model `simulator-v1`, so its labels never pose as a real model.
 */
import { ConfigError, type ApiConfig } from '../config.ts';
import type { LlmProviderName } from '../domain.ts';

/** The part of the API configuration the LLM layer reads. */
export type LlmConfig = Pick<
  ApiConfig,
  'LLM_PROVIDER' | 'LLM_API_KEY' | 'LLM_BASE_URL' | 'LLM_MODEL' | 'LLM_TIMEOUT_MS' | 'LLM_MAX_RETRIES' | 'SIMULATOR_LATENCY_MS' | 'SIMULATOR_ERROR_RATE'
>;

/** Model used when `LLM_MODEL` is unset. */
export const DEFAULT_MODELS: Readonly<Record<LlmProviderName, string>> = {
  simulator: 'simulator-v1',
  openai: 'gpt-4.1-mini',
  anthropic: 'claude-sonnet-4-5',
};

/** Completion token bound when a request names none (Anthropic requires one). */
export const DEFAULT_MAX_TOKENS = 4096;

/**
 * The SDKs' own timeout sits this far behind ours, as a backstop only: our per-attempt timer
 * fires first, so a timeout is classified and counted by the wrapper.
 */
export const SDK_TIMEOUT_MARGIN_MS = 5_000;

/** Settings of a real (HTTP) provider. */
export interface ProviderSettings {
  model: string;
  apiKey: string;
  baseURL?: string | undefined;
  timeoutMs: number;
  defaultMaxTokens: number;
}

/** The resolved provider and model, with the key when there is one. */
export interface LlmSettings {
  provider: LlmProviderName;
  model: string;
  apiKey?: string | undefined;
}

/** Resolves provider and model (see the module comment); throws {@link ConfigError}. */
export function resolveLlmSettings(config: LlmConfig): LlmSettings {
  const provider: LlmProviderName = config.LLM_PROVIDER ?? (config.LLM_API_KEY ? 'openai' : 'simulator');
  if (provider === 'simulator') return { provider, model: DEFAULT_MODELS.simulator };
  if (!config.LLM_API_KEY) {
    throw new ConfigError(
      `LLM_API_KEY is required when LLM_PROVIDER is ${provider} (any non-empty value for a keyless endpoint such as Ollama; unset LLM_PROVIDER to use the simulator)`,
    );
  }
  return { provider, model: config.LLM_MODEL ?? DEFAULT_MODELS[provider], apiKey: config.LLM_API_KEY };
}
