/**
 * The shapes the rest of the API sees of the LLM layer: one request, one response, one client.
 *
 * A client is always the instrumented, retrying wrapper of `client.ts` around one provider
 * (`openai`, `anthropic` or `simulator`), so callers never count metrics or retry by hand.
 */
import type { BaseLogger } from 'pino';
import type { LlmAgent, LlmProviderName } from '../domain.ts';

/** One question to the model, on behalf of one pipeline agent. */
export interface LlmRequest {
  /** The pipeline agent asking; a metric label, and how the simulator knows what to answer. */
  agent: LlmAgent;
  system: string;
  prompt: string;
  /** Upper bound on completion tokens; the provider default of this layer when omitted. */
  maxTokens?: number;
  /**
   * Checks the answer inside the attempt: when it throws, the attempt is counted (tokens
   * included) as an `invalid_response` error, so unusable agent output shows in the metrics.
   */
  validate?: (text: string) => void;
}

/** The model's answer and the token counts the provider reported for it. */
export interface LlmResponse {
  text: string;
  usage: { promptTokens: number; completionTokens: number };
}

/** The simulator's runtime knobs (the operator's `traffic` command turns them through an admin route). */
export interface SimulatorSettings {
  /** Mean latency of one call in milliseconds (each call jitters around it). */
  latencyMs: number;
  /** Fraction of calls, 0 to 1, that fail with a simulated provider error. */
  errorRate: number;
}

/** Reads and changes the simulator's knobs while the API runs. */
export interface SimulatorKnobs {
  knobs(): SimulatorSettings;
  /** Changes the given knobs; throws a `RangeError` for a negative latency or a rate outside 0..1. */
  setKnobs(knobs: Partial<SimulatorSettings>): void;
}

/** What the API calls: answers one request, with retries, timeouts and metrics built in. */
export interface LlmClient {
  readonly provider: LlmProviderName;
  /** The configured model: the `model` label of every LLM metric. */
  readonly model: string;
  /** Present only when the provider is the simulator. */
  readonly simulator?: SimulatorKnobs;
  /** Rejects only with an `LlmError`. */
  complete(req: LlmRequest, signal?: AbortSignal): Promise<LlmResponse>;
}

/**
 * One provider's single attempt, without retries or metrics: what `client.ts` wraps.
 * It must stop promptly when `signal` aborts (our per-attempt timeout or the caller).
 */
export interface LlmProvider {
  readonly name: LlmProviderName;
  readonly model: string;
  readonly simulator?: SimulatorKnobs;
  send(req: LlmRequest, signal: AbortSignal): Promise<LlmResponse>;
}

/** The logging the LLM layer does: a pino logger, Fastify's `app.log` or a child of either. */
export type LlmLogger = Pick<BaseLogger, 'debug' | 'info' | 'warn'>;
