/**
 * A faithful double of the Telegram Bot API's `sendMessage`, over real HTTP on 127.0.0.1, for
 * Alertmanager's telegram integration (and anything else that posts to Telegram) in tests, the
 * `traffic` command and benchmarks. It copies what the real Bot API does:
 *
 * - `POST /bot<TOKEN>/sendMessage` with a JSON, form (urlencoded) or query-string body; values may
 *   be strings (Alertmanager's client sends `"chat_id":"-100123"`);
 * - success: `{"ok":true,"result":Message}` with `message_id`, `date`, `chat: {id, type}` (Alertmanager
 *   0.25 crashes without `chat`) and the text as Telegram stores it (tags removed, entities decoded);
 * - errors: `{"ok":false,"error_code":N,"description":"..."}`: 401 for an unknown token, 404 for an
 *   unknown method, 400 `Bad Request: can't parse entities: ...` for HTML Telegram would reject,
 *   400 `Bad Request: message is too long` above 4096 characters after entity parsing, 400 for a
 *   missing chat or text; 429 (with `parameters.retry_after`) or 500 on demand ({@link TelegramDouble.failNext}).
 *
 * Only `parse_mode: HTML` is checked; Markdown modes are passed through unchecked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Recorder } from './recorder.ts';

/** Telegram's limit, counted in UTF-16 code units after entity parsing (as JavaScript counts). */
export const TELEGRAM_MAX_TEXT = 4096;

/** Tags Telegram's HTML mode accepts. */
const ALLOWED_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'blockquote']);
const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** The outcome of parsing a message the way Telegram does in HTML mode. */
export type ParsedHtml = { ok: true; text: string } | { ok: false; error: string };

/** Decodes the entity starting at `text[i]` (an `&`): its character and length, or undefined. */
function entityAt(text: string, i: number): { char: string; length: number } | undefined {
  const match = /^&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);/.exec(text.slice(i, i + 12));
  if (!match) return undefined;
  const body = match[1] as string;
  let char: string | undefined;
  if (body.startsWith('#')) {
    const code = body[1] === 'x' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    if (code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)) char = String.fromCodePoint(code);
  } else {
    char = NAMED_ENTITIES[body];
  }
  return char === undefined ? undefined : { char, length: match[0].length };
}

/** `text` with its entities decoded as Telegram decodes them (an attribute value, e.g. an href); undefined when a bare `&` is left. */
export function decodeEntities(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (text[i] !== '&') {
      out += text[i];
      i += 1;
      continue;
    }
    const entity = entityAt(text, i);
    if (!entity) return undefined;
    out += entity.char;
    i += entity.length;
  }
  return out;
}

/**
 * Parses `html` as Telegram's HTML parse mode does: only the allowed tags, properly nested and
 * closed; `<` and `&` only as tags and entities. Returns the resulting text (what Telegram stores
 * and measures) or the error message Telegram would give after "Bad Request: can't parse entities: ".
 */
export function parseTelegramHtml(html: string): ParsedHtml {
  const offset = (i: number) => Buffer.byteLength(html.slice(0, i));
  const open: string[] = [];
  let text = '';
  let i = 0;
  while (i < html.length) {
    const ch = html[i] as string;
    if (ch === '&') {
      const entity = entityAt(html, i);
      if (!entity) return { ok: false, error: `Character '&' must be escaped as "&amp;" at byte offset ${offset(i)}` };
      text += entity.char;
      i += entity.length;
    } else if (ch === '<') {
      const close = html.indexOf('>', i);
      if (close < 0) return { ok: false, error: `Unclosed start tag at byte offset ${offset(i)}` };
      const inner = html.slice(i + 1, close);
      if (inner.startsWith('/')) {
        const name = inner.slice(1).trim().toLowerCase();
        const expected = open.pop();
        if (expected === undefined) return { ok: false, error: `Unexpected end tag at byte offset ${offset(i)}` };
        if (name !== expected) return { ok: false, error: `Unmatched end tag at byte offset ${offset(i)}, expected "</${expected}>", found "</${name}>"` };
      } else {
        const tag = /^([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*$/.exec(inner);
        const name = tag?.[1]?.toLowerCase() ?? '';
        if (!tag || !ALLOWED_TAGS.has(name)) return { ok: false, error: `Unsupported start tag "${name}" at byte offset ${offset(i)}` };
        const attributes = tag[2] ?? '';
        for (const attr of attributes.matchAll(/([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
          const value = attr[2] ?? attr[3] ?? attr[4] ?? '';
          if (decodeEntities(value) === undefined) return { ok: false, error: `Character '&' must be escaped as "&amp;" at byte offset ${offset(i)}` };
        }
        if (name === 'span' && !/class\s*=\s*["']?tg-spoiler/.test(attributes)) {
          return { ok: false, error: `Tag "span" must have class "tg-spoiler" at byte offset ${offset(i)}` };
        }
        open.push(name);
      }
      i = close + 1;
    } else {
      text += ch;
      i += 1;
    }
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) return { ok: false, error: `Can't find end tag corresponding to start tag "${unclosed}"` };
  return { ok: true, text };
}

/** A message the double accepted. */
export interface SentMessage {
  messageId: number;
  chatId: string;
  /** The text as posted (with tags and entities in HTML mode). */
  raw: string;
  /** The text as Telegram stores it: tags removed, entities decoded. */
  text: string;
  parseMode?: string;
  /** Every parameter as received, as strings. */
  params: Record<string, string>;
}

/** Any request to the double, accepted or not. */
export interface ReceivedRequest {
  method: string;
  status: number;
  description?: string;
}

export interface TelegramDouble {
  /** The Bot API base URL: set `TELEGRAM_API_URL` (Alertmanager's `api_url`) to it. */
  readonly url: string;
  readonly token: string;
  /** Accepted messages, in order. */
  readonly messages: SentMessage[];
  /** Every request, with the status it got. */
  readonly requests: ReceivedRequest[];
  /** The next `count` sendMessage calls get 429 (with `retry_after` seconds) or 500. */
  failNext(count: number, status: 429 | 500, retryAfter?: number): void;
  /** Resolves with the accepted messages (those passing `filter`) once there are `count`; fails after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs: number, filter?: (message: SentMessage) => boolean): Promise<SentMessage[]>;
  close(): Promise<void>;
}

export interface TelegramDoubleOptions {
  /** The only token it accepts; a random valid-looking one by default. */
  token?: string;
  /** Chats that exist; any integer chat id when unset. */
  chatIds?: string[];
}

async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, string> | undefined> {
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  if (body === '') return params;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    for (const [key, value] of Object.entries(parsed)) params[key] = typeof value === 'string' ? value : JSON.stringify(value);
    return params;
  }
  if (type === 'application/x-www-form-urlencoded') return { ...params, ...Object.fromEntries(new URLSearchParams(body)) };
  return params;
}

/** Starts the double on 127.0.0.1 at a free port. */
export async function startTelegramDouble(options: TelegramDoubleOptions = {}): Promise<TelegramDouble> {
  const token = options.token ?? `${100000 + Math.floor(Math.random() * 900000)}:AAtestDoubleToken_${Math.random().toString(36).slice(2, 12)}`;
  const botId = Number(token.split(':')[0]);
  const messages = new Recorder<SentMessage>('Telegram messages');
  const requests: ReceivedRequest[] = [];
  const failures: Array<{ status: 429 | 500; retryAfter: number }> = [];
  let nextMessageId = 1;

  const reply = (res: ServerResponse, method: string, status: number, body: Record<string, unknown>) => {
    requests.push({ method, status, ...(typeof body.description === 'string' ? { description: body.description } : {}) });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, method: string, status: number, description: string, extra: Record<string, unknown> = {}) =>
    reply(res, method, status, { ok: false, error_code: status, description, ...extra });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const method = route?.[2] ?? url.pathname;
    if (!route) return error(res, method, 404, 'Not Found');
    if (route[1] !== token) return error(res, method, 401, 'Unauthorized');
    if (method.toLowerCase() !== 'sendmessage') return error(res, method, 404, 'Not Found');
    const params = await readParams(req, url);
    if (!params) return error(res, method, 400, "Bad Request: can't parse JSON object");

    const failure = failures.shift();
    if (failure?.status === 429) {
      return error(res, method, 429, `Too Many Requests: retry after ${failure.retryAfter}`, { parameters: { retry_after: failure.retryAfter } });
    }
    if (failure?.status === 500) return error(res, method, 500, 'Internal Server Error');

    const chatId = params.chat_id ?? '';
    if (chatId === '') return error(res, method, 400, 'Bad Request: chat_id is empty');
    if (!/^-?[0-9]+$/.test(chatId) || (options.chatIds && !options.chatIds.includes(chatId))) return error(res, method, 400, 'Bad Request: chat not found');
    const raw = params.text ?? '';
    let text = raw;
    if (params.parse_mode?.toUpperCase() === 'HTML') {
      const parsed = parseTelegramHtml(raw);
      if (!parsed.ok) return error(res, method, 400, `Bad Request: can't parse entities: ${parsed.error}`);
      text = parsed.text;
    }
    if (text.trim() === '') return error(res, method, 400, 'Bad Request: message text is empty');
    if (text.length > TELEGRAM_MAX_TEXT) return error(res, method, 400, 'Bad Request: message is too long');

    const message: SentMessage = { messageId: nextMessageId++, chatId, raw, text, params, ...(params.parse_mode ? { parseMode: params.parse_mode } : {}) };
    const chat = chatId.startsWith('-100') ? { id: Number(chatId), type: 'supergroup', title: 'Test group' } : chatId.startsWith('-') ? { id: Number(chatId), type: 'group', title: 'Test group' } : { id: Number(chatId), type: 'private', first_name: 'Test' };
    reply(res, method, 200, {
      ok: true,
      result: { message_id: message.messageId, from: { id: botId, is_bot: true, first_name: 'Samokoder test bot', username: 'samokoder_test_bot' }, chat, date: Math.floor(Date.now() / 1000), text },
    });
    messages.push(message);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) error(res, 'internal', 500, `Internal Server Error: ${(err as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    messages: messages.items,
    requests,
    failNext(count, status, retryAfter = 1) {
      for (let n = 0; n < count; n++) failures.push({ status, retryAfter });
    },
    waitForMessages(count, timeoutMs, filter) {
      const describe = () => {
        const rejected = requests.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.description ?? ''}`.trim());
        return rejected.length ? `rejected requests: ${rejected.join(' | ')}` : 'no rejected requests';
      };
      return messages.waitFor(count, timeoutMs, { filter, describe });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
