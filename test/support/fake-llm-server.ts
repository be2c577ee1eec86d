/**
 * A wire-compatible fake of the two LLM APIs Samokoder talks to, over real HTTP on 127.0.0.1,
 * so the REAL `openai` and `@anthropic-ai/sdk` clients can be tested against it:
 *
 * - OpenAI Chat Completions: `POST /v1/chat/completions` (SDK `baseURL` = `${origin}/v1`)
 * - Anthropic Messages: `POST /v1/messages` (SDK `baseURL` = `origin`)
 *
 * Bodies, headers and error envelopes follow the real APIs (ids, `choices[0].message.content`,
 * `usage.prompt_tokens`; `content[0].text`, `usage.input_tokens`; `{"error":{...}}` and
 * `{"type":"error","error":{...}}`), and requests are checked the way the real APIs check them
 * (credentials, `anthropic-version`, required fields). Each request takes the next scripted
 * {@link FakeReply}, then {@link FakeLlmServer.fallback}. Every request is recorded.
 *
 * Used by tests, the `traffic` command and benchmarks alike.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake does with one request. */
export type FakeReply =
  /** 200 with `text` as the answer and the given (else estimated) usage. */
  | { kind: 'success'; text?: string; promptTokens?: number; completionTokens?: number }
  /** An API error with the real envelope: 429 (add `retryAfter`), 500, 401, 400, 529, ... */
  | { kind: 'error'; status: number; message?: string; retryAfter?: string }
  /** Waits `ms` (longer than the client's timeout, typically), then does `then` (default success). */
  | { kind: 'delay'; ms: number; then?: FakeReply }
  /** 200, `content-type: application/json`, and a truncated, unparsable body. */
  | { kind: 'malformed' }
  /** Any JSON body with any status, e.g. a 200 missing `choices`. */
  | { kind: 'json'; status?: number; body: unknown }
  /** Closes the socket without answering (connection reset). */
  | { kind: 'reset' };

type Api = 'openai' | 'anthropic';

/** One request the fake received. */
export interface RecordedRequest {
  api: Api | 'unknown';
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
}

export interface FakeLlmServer {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** `baseURL` for the OpenAI SDK. */
  readonly openaiBaseURL: string;
  /** `baseURL` for the Anthropic SDK. */
  readonly anthropicBaseURL: string;
  readonly requests: RecordedRequest[];
  /** Queues replies for the next requests, in order. */
  enqueue(...replies: FakeReply[]): void;
  /** The reply once the queue is empty; a success by default. */
  fallback: FakeReply;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_TEXT = 'Hello from the fake LLM server.';

function id(prefix: string, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return prefix + Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

const estimateTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/** The real APIs' error `type` for a status. */
function errorType(api: Api, status: number): string {
  if (api === 'openai') {
    if (status === 429) return 'requests';
    return status >= 500 ? 'server_error' : 'invalid_request_error';
  }
  const types: Record<number, string> = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    529: 'overloaded_error',
  };
  return types[status] ?? 'api_error';
}

function defaultMessage(api: Api, status: number): string {
  if (status === 429) {
    return api === 'openai'
      ? 'Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.'
      : 'This request would exceed the rate limit for your organization of 50 requests per minute.';
  }
  if (status === 529) return 'Overloaded';
  if (status >= 500) return api === 'openai' ? 'The server had an error while processing your request. Sorry about that!' : 'Internal server error';
  return 'Bad request';
}

function rateLimitHeaders(api: Api): Record<string, string> {
  return api === 'openai'
    ? { 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '20s' }
    : { 'anthropic-ratelimit-requests-limit': '50', 'anthropic-ratelimit-requests-remaining': '0' };
}

function sendJson(res: ServerResponse, api: Api, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const requestId = api === 'openai' ? { 'x-request-id': id('req_', 32), 'openai-version': '2020-10-01', 'openai-processing-ms': '42' } : { 'request-id': id('req_', 24) };
  res.writeHead(status, { 'content-type': 'application/json', ...requestId, ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, api: Api, status: number, message: string, headers: Record<string, string> = {}, code: string | null = null): void {
  const type = errorType(api, status);
  const body =
    api === 'openai'
      ? { error: { message, type, param: null, code: code ?? (status === 429 ? 'rate_limit_exceeded' : null) } }
      : { type: 'error', error: { type, message }, request_id: id('req_', 24) };
  sendJson(res, api, status, body, headers);
}

function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  return /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
}

/** The real APIs' answer to a request they would reject before any model work; undefined if fine. */
function rejection(api: Api, headers: IncomingHttpHeaders, body: unknown, apiKey: string | undefined): { status: number; message: string; code?: string } | undefined {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (api === 'openai') {
    const bearer = bearerToken(headers);
    if (!bearer) {
      return { status: 401, message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.", code: 'invalid_api_key' };
    }
    if (apiKey !== undefined && bearer !== apiKey) {
      // Like the real API: the key is quoted masked, all but its ends.
      const masked = `${bearer.slice(0, 3)}${'*'.repeat(Math.max(0, bearer.length - 7))}${bearer.slice(-4)}`;
      return { status: 401, message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`, code: 'invalid_api_key' };
    }
    if (typeof body !== 'object' || body === null) return { status: 400, message: 'We could not parse the JSON body of your request.' };
    if (typeof b.model !== 'string') return { status: 400, message: 'you must provide a model parameter' };
    if (!Array.isArray(b.messages) || b.messages.length === 0) return { status: 400, message: "Missing required parameter: 'messages'." };
    return undefined;
  }
  // The API takes the key as `x-api-key` or, as SDK 1.x sends it, `Authorization: Bearer`.
  const key = headers['x-api-key'] ?? bearerToken(headers);
  if (!key) return { status: 401, message: 'x-api-key header is required' };
  if (apiKey !== undefined && key !== apiKey) return { status: 401, message: 'invalid x-api-key' };
  if (!headers['anthropic-version']) return { status: 400, message: 'anthropic-version: header is required' };
  if (typeof body !== 'object' || body === null) return { status: 400, message: 'There was an issue with your request body: invalid JSON' };
  if (typeof b.model !== 'string') return { status: 400, message: 'model: Field required' };
  if (!Number.isInteger(b.max_tokens)) return { status: 400, message: 'max_tokens: Field required' };
  if (!Array.isArray(b.messages) || b.messages.length === 0) return { status: 400, message: 'messages: Field required' };
  return undefined;
}

/** All text the request sends the model, for the usage estimate. */
function promptText(body: Record<string, unknown>): string {
  const messages = (body.messages as { content?: unknown }[]).map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)));
  return [typeof body.system === 'string' ? body.system : '', ...messages].join('\n');
}

function sendSuccess(res: ServerResponse, api: Api, body: Record<string, unknown>, reply: Extract<FakeReply, { kind: 'success' }>): void {
  const text = reply.text ?? DEFAULT_TEXT;
  const promptTokens = reply.promptTokens ?? estimateTokens(promptText(body));
  const completionTokens = reply.completionTokens ?? estimateTokens(text);
  if (api === 'openai') {
    sendJson(res, api, 200, {
      id: id('chatcmpl-', 29),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: id('fp_', 10),
    });
    return;
  }
  sendJson(res, api, 200, {
    id: id('msg_01', 22),
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: promptTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: completionTokens, service_tier: 'standard' },
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const ROUTES: Record<string, Api> = { '/v1/chat/completions': 'openai', '/v1/messages': 'anthropic' };

/** Options of the fake. */
export interface FakeLlmServerOptions {
  /** When set, any other key is refused with the real APIs' 401; any key is accepted otherwise. */
  apiKey?: string;
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startFakeLlmServer(options: FakeLlmServerOptions = {}): Promise<FakeLlmServer> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  function perform(res: ServerResponse, api: Api, body: Record<string, unknown>, reply: FakeReply): void {
    switch (reply.kind) {
      case 'success':
        return sendSuccess(res, api, body, reply);
      case 'error': {
        const headers = reply.status === 429 ? { ...rateLimitHeaders(api), ...(reply.retryAfter ? { 'retry-after': reply.retryAfter } : {}) } : {};
        return sendError(res, api, reply.status, reply.message ?? defaultMessage(api, reply.status), headers);
      }
      case 'delay': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) perform(res, api, body, reply.then ?? { kind: 'success' });
        }, reply.ms);
        timers.add(timer);
        res.on('close', () => {
          clearTimeout(timer);
          timers.delete(timer);
        });
        return;
      }
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"trunc');
        return;
      case 'json':
        return sendJson(res, api, reply.status ?? 200, reply.body);
      case 'reset':
        res.socket?.destroy();
        return;
    }
  }

  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const api = ROUTES[path];
    let raw = '';
    try {
      raw = await readBody(req);
    } catch {
      return;
    }
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Recorded as text; `rejection` answers it like the real API.
    }
    requests.push({ api: api ?? 'unknown', method: req.method ?? '', path, headers: req.headers, body });
    if (!api || req.method !== 'POST') {
      return sendError(res, api ?? 'openai', 404, `Invalid URL (${req.method} ${path})`);
    }
    const rejected = rejection(api, req.headers, body, options.apiKey);
    if (rejected) return sendError(res, api, rejected.status, rejected.message, {}, rejected.code ?? null);
    perform(res, api, body as Record<string, unknown>, queue.shift() ?? fake.fallback);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeLlmServer = {
    origin,
    openaiBaseURL: `${origin}/v1`,
    anthropicBaseURL: origin,
    requests,
    fallback: { kind: 'success' },
    enqueue: (...replies) => void queue.push(...replies),
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
  return fake;
}

/** An origin on 127.0.0.1 where nothing listens (a port just released), for connection-refused tests. */
export async function refusedOrigin(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
