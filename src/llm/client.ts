/**
 * The instrumented, retrying wrapper every LLM call goes through — the only code that records
 * the four LLM metrics. Per attempt: a timeout of its own, one `recordLlmCall` (request,
 * duration, tokens, and the error type when it failed). Between attempts: exponential backoff
 * with jitter that honours the provider's `retry-after`, for retryable failures only.
 *
 * A caller's abort is not a provider failure: the attempt is counted as a request (it was sent)
 * but not as an error, and `complete` rejects with a non-retryable `LlmError` of type `other`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Metrics } from '../metrics/registry.ts';
import { LlmError, classifyError } from './errors.ts';
import type { LlmClient, LlmLogger, LlmProvider, LlmRequest, LlmResponse } from './types.ts';

/** Backoff tuning; production uses the defaults, tests shrink them so nothing waits long. */
export interface RetryOptions {
  /** First backoff step; doubles on each retry. */
  backoffBaseMs?: number;
  /** Largest exponential step. */
  backoffMaxMs?: number;
  /** Longest `retry-after` we honour; a longer request is waited for this long only. */
  retryAfterCapMs?: number;
  /** Source of jitter, `Math.random` by default. */
  random?: () => number;
}

const DEFAULT_RETRY: Required<RetryOptions> = {
  backoffBaseMs: 500,
  backoffMaxMs: 8_000,
  retryAfterCapMs: 30_000,
  random: Math.random,
};

/**
 * Milliseconds to wait before retry number `retry` (0 for the first) after `error`:
 * the exponential step `base · 2^retry` (capped) with "equal jitter" — between half of it and
 * all of it, so concurrent callers spread out — but never less than the provider's
 * `retry-after`, itself capped by `retryAfterCapMs`.
 */
export function backoffDelayMs(retry: number, error: LlmError, options: RetryOptions = {}): number {
  const { backoffBaseMs, backoffMaxMs, retryAfterCapMs, random } = { ...DEFAULT_RETRY, ...options };
  const step = Math.min(backoffMaxMs, backoffBaseMs * 2 ** retry);
  const jittered = step / 2 + (random() * step) / 2;
  const asked = error.retryAfterMs === undefined ? 0 : Math.min(error.retryAfterMs, retryAfterCapMs);
  return Math.round(Math.max(jittered, asked));
}

/** What the wrapper needs besides the provider. */
export interface InstrumentOptions {
  metrics: Pick<Metrics, 'recordLlmCall'>;
  log?: LlmLogger | undefined;
  /** Per-attempt timeout (LLM_TIMEOUT_MS). */
  timeoutMs: number;
  /** Retries after the first attempt (LLM_MAX_RETRIES). */
  maxRetries: number;
  /** The API key, redacted from error messages. */
  secret?: string | undefined;
  retry?: RetryOptions | undefined;
}

function cancelled(provider: string): LlmError {
  return new LlmError('other', `${provider} request cancelled`, { retryable: false });
}

/** Wraps `provider` into the {@link LlmClient} the API uses. */
export function instrument(provider: LlmProvider, options: InstrumentOptions): LlmClient {
  const { metrics, log, timeoutMs, maxRetries, secret } = options;
  const labels = { provider: provider.name, model: provider.model };

  /** One attempt: resolves with the response, or rejects with a classified LlmError. */
  async function attempt(req: LlmRequest, signal: AbortSignal | undefined): Promise<LlmResponse> {
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    const attemptSignal = signal ? AbortSignal.any([signal, timer.signal]) : timer.signal;
    const started = performance.now();
    let response: LlmResponse | undefined;
    try {
      response = await provider.send(req, attemptSignal);
      req.validate?.(response.text);
      metrics.recordLlmCall({ ...labels, agent: req.agent, seconds: (performance.now() - started) / 1000, ...response.usage });
      return response;
    } catch (err) {
      const seconds = (performance.now() - started) / 1000;
      const tokens = response?.usage ?? {};
      if (signal?.aborted && !timer.signal.aborted) {
        metrics.recordLlmCall({ ...labels, agent: req.agent, seconds, ...tokens });
        throw cancelled(provider.name);
      }
      // An answer that arrived but failed validation is unusable output, whatever was thrown.
      const error = response
        ? new LlmError('invalid_response', `${provider.name} invalid_response: ${req.agent} output unusable: ${err instanceof Error ? err.message : String(err)}`)
        : classifyError(err, { provider: provider.name, timedOut: timer.signal.aborted, timeoutMs, secret });
      metrics.recordLlmCall({ ...labels, agent: req.agent, seconds, ...tokens, errorType: error.errorType });
      throw error;
    } finally {
      clearTimeout(timeout);
    }
  }

  return {
    provider: provider.name,
    model: provider.model,
    ...(provider.simulator ? { simulator: provider.simulator } : {}),
    async complete(req, signal) {
      for (let retry = 0; ; retry++) {
        if (signal?.aborted) throw cancelled(provider.name);
        try {
          const response = await attempt(req, signal);
          log?.debug({ ...labels, agent: req.agent, attempt: retry + 1, usage: response.usage }, 'llm call succeeded');
          return response;
        } catch (err) {
          const error = err as LlmError;
          const attemptInfo = { ...labels, agent: req.agent, attempt: retry + 1, errorType: error.errorType, status: error.status };
          if (!error.retryable || retry >= maxRetries) {
            if (!signal?.aborted) log?.warn({ ...attemptInfo, err: error.message }, 'llm call failed');
            if (retry === 0) throw error;
            throw new LlmError(error.errorType, `${error.message} (after ${retry + 1} attempts)`, {
              retryable: error.retryable,
              ...(error.status === undefined ? {} : { status: error.status }),
              ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
            });
          }
          const delayMs = backoffDelayMs(retry, error, options.retry);
          log?.warn({ ...attemptInfo, retryInMs: delayMs, err: error.message }, 'llm call failed, retrying');
          try {
            await sleep(delayMs, undefined, signal ? { signal } : {});
          } catch {
            throw cancelled(provider.name);
          }
        }
      }
    },
  };
}
