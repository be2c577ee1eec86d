/**
 * The one error type of the LLM layer and the one place that decides which `error_type` a
 * failure is: SDK errors, network errors, our own timeout and unusable output all end up as an
 * {@link LlmError} carrying a value of the catalogue's `LLM_ERROR_TYPES`.
 *
 * Messages are safe to store and show (a project's failure reason): the API key is redacted
 * from them and the SDK error is not attached as `cause`, since its text may quote the request.
 */
import * as Anthropic from '@anthropic-ai/sdk';
import * as OpenAI from 'openai';
import type { LlmErrorType } from '../metrics/catalogue.ts';
import type { LlmProviderName } from '../domain.ts';

/** Failures worth another attempt: the provider or the network may do better next time. */
const RETRYABLE: ReadonlySet<LlmErrorType> = new Set<LlmErrorType>(['timeout', 'rate_limited', 'server_error', 'connection']);

/** Longest message kept; provider error bodies can be long HTML pages. */
const MAX_MESSAGE_CHARS = 300;

/** A failed LLM request, classified. */
export class LlmError extends Error {
  override name = 'LlmError';
  readonly errorType: LlmErrorType;
  /** How long the provider asked us to wait (its `retry-after`), when it said. */
  readonly retryAfterMs?: number;
  /** Whether the failure is transient (another attempt may succeed); false for a cancel. */
  readonly retryable: boolean;
  /** The HTTP status, when the provider answered with one. */
  readonly status?: number;

  constructor(errorType: LlmErrorType, message: string, options: { retryAfterMs?: number; retryable?: boolean; status?: number } = {}) {
    super(message);
    this.errorType = errorType;
    this.retryable = options.retryable ?? RETRYABLE.has(errorType);
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.status !== undefined) this.status = options.status;
  }
}

/** The error type of an HTTP error status. */
export function errorTypeForStatus(status: number): LlmErrorType {
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'bad_request';
  return 'other';
}

interface HeaderSource {
  get(name: string): string | null;
}

/**
 * Milliseconds the provider asked us to wait: `retry-after-ms` (OpenAI's), else `retry-after`
 * in seconds or as an HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: HeaderSource | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number.parseFloat(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Removes `secret` from `text` and bounds its length. */
export function safeMessage(text: string, secret: string | undefined): string {
  const redacted = secret ? text.split(secret).join('[redacted]') : text;
  return redacted.length > MAX_MESSAGE_CHARS ? `${redacted.slice(0, MAX_MESSAGE_CHARS)}…` : redacted;
}

/** Node and undici error codes of a failed connection, and the ones that mean it timed out. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The first error code found along the `cause` chain (bounded: causes can be cyclic). */
function causeCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || TIMEOUT_CODES.has(code))) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isSdkError<K extends 'APIError' | 'APIConnectionError' | 'APIConnectionTimeoutError'>(err: unknown, kind: K): boolean {
  return err instanceof OpenAI[kind] || err instanceof Anthropic[kind];
}

/** What {@link classifyError} needs besides the error. */
export interface ClassifyContext {
  provider: LlmProviderName;
  /** Our per-attempt timeout fired: whatever surfaced (usually an abort error) is a timeout. */
  timedOut: boolean;
  timeoutMs: number;
  /** The API key, redacted from messages. */
  secret?: string | undefined;
}

/** Turns anything a provider attempt threw into an {@link LlmError}. */
export function classifyError(err: unknown, ctx: ClassifyContext): LlmError {
  const make = (type: LlmErrorType, detail: string, extra: { retryAfterMs?: number; status?: number } = {}) =>
    new LlmError(type, safeMessage(`${ctx.provider} ${type}: ${detail}`, ctx.secret), extra);

  if (ctx.timedOut) return make('timeout', `no answer within ${ctx.timeoutMs} ms`);
  if (err instanceof LlmError) return err;
  if (isSdkError(err, 'APIError') && typeof (err as { status?: unknown }).status === 'number') {
    const { status, headers, message } = err as { status: number; headers?: HeaderSource; message: string };
    const retryAfterMs = parseRetryAfter(headers);
    return make(errorTypeForStatus(status), `HTTP ${message}`, { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (isSdkError(err, 'APIConnectionTimeoutError')) return make('timeout', 'the SDK timed out');
  const code = causeCode(err);
  if (code) return make(TIMEOUT_CODES.has(code) ? 'timeout' : 'connection', code);
  if (isSdkError(err, 'APIConnectionError')) return make('connection', (err as Error).message);
  if (err instanceof SyntaxError) return make('invalid_response', `malformed JSON body (${err.message})`);
  return make('other', err instanceof Error ? err.message : String(err));
}
