/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 that keeps every mail it receives,
 * for Alertmanager's email integration in tests and benchmarks. It behaves like a submission
 * server such as Gmail's, in one of three modes:
 *
 * - `starttls` (port 587 style, the default): STARTTLS with a certificate for 127.0.0.1 signed by a
 *   throwaway CA ({@link SmtpSink.caFile}); AUTH (PLAIN, LOGIN) is advertised only after TLS, and
 *   MAIL is refused before TLS (530 Must issue a STARTTLS command first) and before AUTH (530).
 * - `implicit` (port 465 style): TLS from the first byte, then the same AUTH rules.
 * - `none`: plain SMTP without STARTTLS, AUTH offered in clear text; for the negative tests (a
 *   client that requires TLS must send it neither credentials nor mail).
 *
 * When `user`/`pass` are given AUTH is required, and other credentials get 535 like a real
 * server. Every AUTH attempt is recorded (user, mechanism, over TLS or not, accepted), never the
 * password. Mails are parsed by a small MIME reader (headers with RFC 2047 words, multipart,
 * quoted-printable and base64), enough for what Alertmanager and nodemailer send.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import { Recorder } from './recorder.ts';
import { createTestCa } from './test-ca.ts';

/** How the sink offers TLS; see the module comment. */
export type SmtpTls = 'starttls' | 'implicit' | 'none';

/** A mail the sink accepted. */
export interface ReceivedMail {
  /** Envelope sender and recipients (MAIL FROM / RCPT TO). */
  envelopeFrom: string;
  envelopeTo: string[];
  /** The user that authenticated, if any. */
  user?: string;
  /** Whether the session was TLS (after STARTTLS, or implicit). */
  tls: boolean;
  /** Header names in lower case, values decoded. */
  headers: Record<string, string>;
  subject: string;
  /** The text/plain part, if any. */
  text?: string;
  /** The text/html part, if any. */
  html?: string;
  raw: string;
}

/** One AUTH command the sink received; the password is never kept. */
export interface AuthAttempt {
  user: string;
  /** PLAIN or LOGIN. */
  method: string;
  /** Whether the session was TLS when the credentials arrived. */
  tls: boolean;
  accepted: boolean;
}

export interface SmtpSink {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly tls: SmtpTls;
  /** The credentials it was started with (see {@link SmtpSink.setPassword}). */
  readonly credentials?: { user: string; pass: string };
  /** The PEM file of the CA that signed the sink's certificate (what SMTP_CA_FILE names); unset in mode `none`. */
  readonly caFile?: string;
  readonly mails: ReceivedMail[];
  readonly authAttempts: AuthAttempt[];
  /** Connection errors, as a server would log them (e.g. a client that aborted the TLS handshake). */
  readonly errors: string[];
  /** Resolves with the mails (those passing `filter`) once there are `count`; fails after `timeoutMs`. */
  waitForMails(count: number, timeoutMs: number, filter?: (mail: ReceivedMail) => boolean): Promise<ReceivedMail[]>;
  /** Resolves once `count` AUTH attempts passing `filter` have arrived; fails after `timeoutMs`. */
  waitForAuthAttempts(count: number, timeoutMs: number, filter?: (attempt: AuthAttempt) => boolean): Promise<AuthAttempt[]>;
  /** The password the sink accepts from now on, as when an app password is revoked at the provider. */
  setPassword(pass: string): void;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** `starttls` by default. */
  tls?: SmtpTls;
  /** Credentials to require; without them the sink takes mail without AUTH. */
  user?: string;
  pass?: string;
  /** A fixed port (Alertmanager speaks implicit TLS on port 465 only); a free one by default. */
  port?: number;
}

interface Part {
  headers: Record<string, string>;
  body: string;
}

/** Decodes RFC 2047 encoded words (`=?utf-8?q?...?=`, `=?UTF-8?B?...?=`) in a header value. */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, charset: string, encoding: string, data: string) => {
      const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : qpBytes(data.replace(/_/g, ' '));
      return new TextDecoder(charset.toLowerCase()).decode(bytes);
    });
}

/** The bytes of quoted-printable text (`=XX` escapes, soft line breaks removed). */
function qpBytes(text: string): Buffer {
  const plain = text.replace(/=\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < plain.length; i++) {
    const hex = plain[i] === '=' ? /^[0-9A-Fa-f]{2}$/.exec(plain.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(plain[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function parsePart(source: string): Part {
  const split = source.indexOf('\n\n');
  const head = split < 0 ? source : source.slice(0, split);
  const body = split < 0 ? '' : source.slice(split + 2);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** The decoded body of a single (non-multipart) part. */
function decodeBody(part: Part): string {
  const encoding = (part.headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return qpBytes(part.body).toString('utf8');
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return part.body;
}

/** Collects the text/plain and text/html parts of `part`, descending into multiparts. */
function collectBodies(part: Part, into: { text?: string; html?: string }): void {
  const type = part.headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const sections = part.body.split(`--${boundary}`);
    // Between the preamble (first) and the closing `--` marker (last) are the parts.
    for (const section of sections.slice(1, -1)) collectBodies(parsePart(section.replace(/^\n/, '')), into);
    return;
  }
  const body = decodeBody(part).replace(/\n$/, '');
  if (/^text\/html/i.test(type)) into.html ??= body;
  else if (/^text\/plain/i.test(type)) into.text ??= body;
}

/** Parses a raw mail (CRLF or LF line ends) into headers and its text and HTML bodies. */
export function parseMail(raw: string): Pick<ReceivedMail, 'headers' | 'subject' | 'text' | 'html'> {
  const root = parsePart(raw.replace(/\r\n/g, '\n'));
  const bodies: { text?: string; html?: string } = {};
  collectBodies(root, bodies);
  return { headers: root.headers, subject: root.headers.subject ?? '', ...bodies };
}

/** An SMTP error reply with `code`, as smtp-server sends it. */
function reply(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/** Starts the sink on 127.0.0.1 (at a free port unless `options.port`). */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const mode = options.tls ?? 'starttls';
  const mails = new Recorder<ReceivedMail>('mails');
  const attempts = new Recorder<AuthAttempt>('AUTH attempts');
  const requireAuth = options.user !== undefined;
  let password = options.pass;
  const ca = mode === 'none' ? undefined : createTestCa();
  const disabled = [...(mode === 'none' ? ['STARTTLS'] : []), ...(requireAuth ? [] : ['AUTH'])];
  const server = new SMTPServer({
    secure: mode === 'implicit',
    ...(ca ? { key: ca.key, cert: ca.cert } : {}),
    logger: false,
    disabledCommands: disabled,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !requireAuth,
    allowInsecureAuth: mode === 'none',
    size: 10 * 1024 * 1024,
    onConnect(session, callback) {
      // Before STARTTLS there is no AUTH at all: not advertised, not accepted.
      if (mode === 'starttls') session.disabledCommands = [...disabled, 'AUTH'];
      callback();
    },
    onSecure(_socket, session, callback) {
      session.disabledCommands = disabled;
      callback();
    },
    onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, callback) {
      const accepted = auth.username === options.user && auth.password === password;
      attempts.push({ user: auth.username ?? '', method: auth.method, tls: session.secure, accepted });
      if (accepted) return callback(null, { user: auth.username });
      return callback(reply(535, 'Authentication credentials invalid'));
    },
    onMailFrom(_address, session, callback) {
      if (mode !== 'none' && !session.secure) return callback(reply(530, 'Must issue a STARTTLS command first'));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mailFrom = session.envelope.mailFrom;
        mails.push({
          envelopeFrom: mailFrom ? mailFrom.address : '',
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
          tls: session.secure,
          ...parseMail(raw),
          raw,
        });
        callback();
      });
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
  } catch (err) {
    ca?.remove();
    throw new Error(`SMTP sink could not listen on 127.0.0.1:${options.port ?? 0}: ${(err as Error).message}`);
  }
  const errors: string[] = [];
  server.on('error', (err: Error) => errors.push(err.message));
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    tls: mode,
    ...(options.user !== undefined ? { credentials: { user: options.user, pass: options.pass ?? '' } } : {}),
    ...(ca ? { caFile: ca.caFile } : {}),
    mails: mails.items,
    authAttempts: attempts.items,
    errors,
    waitForMails: (count, timeoutMs, filter) => mails.waitFor(count, timeoutMs, { filter }),
    waitForAuthAttempts: (count, timeoutMs, filter) => attempts.waitFor(count, timeoutMs, { filter }),
    setPassword(pass) {
      password = pass;
    },
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          ca?.remove();
          resolve();
        }),
      ),
  };
}

/**
 * The alerting variables that send Alertmanager's email to `sink` the way the operator guide sets
 * it up: its address, its credentials, its CA as SMTP_CA_FILE, TLS required (the default).
 */
export function emailEnv(sink: SmtpSink): Record<string, string> {
  return {
    ALERT_EMAIL: 'oncall@example.com',
    SMTP_HOST: sink.host,
    SMTP_PORT: String(sink.port),
    ...(sink.credentials ? { SMTP_USER: sink.credentials.user, SMTP_PASS: sink.credentials.pass } : {}),
    ...(sink.caFile ? { SMTP_CA_FILE: sink.caFile } : {}),
  };
}
