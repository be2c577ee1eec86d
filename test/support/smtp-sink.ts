/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 that keeps every mail it receives,
 * for Alertmanager's email integration in tests, `traffic` and benchmarks.
 *
 * Plain connections only: no STARTTLS, so Alertmanager must run with `require_tls: false`
 * (SMTP_REQUIRE_TLS=false), as with any server that lacks it. When `user`/`pass` are given, AUTH
 * PLAIN and LOGIN are offered and required, and other credentials get 535 like a real server.
 * Mails are parsed by a small MIME reader (headers with RFC 2047 words, multipart, quoted-printable
 * and base64), enough for what Alertmanager and nodemailer send.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import { Recorder } from './recorder.ts';

/** A mail the sink accepted. */
export interface ReceivedMail {
  /** Envelope sender and recipients (MAIL FROM / RCPT TO). */
  envelopeFrom: string;
  envelopeTo: string[];
  /** The user that authenticated, if any. */
  user?: string;
  /** Header names in lower case, values decoded. */
  headers: Record<string, string>;
  subject: string;
  /** The text/plain part, if any. */
  text?: string;
  /** The text/html part, if any. */
  html?: string;
  raw: string;
}

export interface SmtpSink {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly mails: ReceivedMail[];
  /** Resolves with the mails (those passing `filter`) once there are `count`; fails after `timeoutMs`. */
  waitForMails(count: number, timeoutMs: number, filter?: (mail: ReceivedMail) => boolean): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** Credentials to require; without them the sink takes mail without AUTH. */
  user?: string;
  pass?: string;
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

/** Starts the sink on 127.0.0.1 at a free port. */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const mails = new Recorder<ReceivedMail>('mails');
  const requireAuth = options.user !== undefined;
  const server = new SMTPServer({
    secure: false,
    logger: false,
    disabledCommands: requireAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !requireAuth,
    allowInsecureAuth: true,
    size: 10 * 1024 * 1024,
    onAuth(auth: SMTPServerAuthentication, _session: SMTPServerSession, callback) {
      if (auth.username === options.user && auth.password === options.pass) return callback(null, { user: auth.username });
      const error = Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 });
      return callback(error);
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
          ...parseMail(raw),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    mails: mails.items,
    waitForMails: (count, timeoutMs, filter) => mails.waitFor(count, timeoutMs, { filter }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
