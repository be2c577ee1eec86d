// The SMTP sink is a real SMTP server: a real client (nodemailer) delivers to it over STARTTLS or
// implicit TLS with the test CA, wrong or missing credentials are refused like a real server
// refuses them, AUTH exists only after TLS and MAIL is refused before TLS and AUTH (checked with a
// raw SMTP dialogue), and what it records is the decoded mail (subject words, text and HTML
// parts), which the Alertmanager email tests rely on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import { parseMail, startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const USER = 'alerts@example.com';
const PASS = 'sink-password';

/** A nodemailer transport the way a careful client is set up for the sink's mode. */
const transport = (sink: SmtpSink, auth?: { user: string; pass: string }, tls: Record<string, unknown> = {}) =>
  nodemailer.createTransport({
    host: sink.host,
    port: sink.port,
    secure: sink.tls === 'implicit',
    ...(sink.tls === 'none' ? { ignoreTLS: true } : { requireTLS: true, tls: { ca: readFileSync(sink.caFile as string), ...tls } }),
    ...(auth ? { auth } : {}),
  });

const responseCode = (code: number) => (err: { responseCode?: number }) => {
  assert.equal(err.responseCode, code);
  return true;
};

/** A line-by-line SMTP client: `send` writes a command and resolves with the whole reply. */
function dialogue(socket: Socket) {
  let buffer = '';
  let waiting: ((reply: string) => void) | undefined;
  const complete = () => /(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(buffer);
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    if (waiting && complete()) {
      const reply = buffer;
      buffer = '';
      waiting(reply);
    }
  };
  socket.on('data', onData);
  const next = () => new Promise<string>((resolve) => (waiting = resolve));
  return {
    next,
    send(line: string): Promise<string> {
      const reply = next();
      socket.write(`${line}\r\n`);
      return reply;
    },
    detach: () => socket.off('data', onData),
  };
}

describe('STARTTLS with credentials required (port 587 style)', () => {
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink({ user: USER, pass: PASS });
  });
  after(() => sink.close());

  test('a mail sent with AUTH over STARTTLS arrives decoded: subject, text and HTML parts, envelope, user, TLS', async () => {
    await transport(sink, { user: USER, pass: PASS }).sendMail({
      from: USER,
      to: 'oncall@example.com',
      subject: '[CRITICAL] Samokoder: APIDown — 🔥',
      text: 'FIRING: APIDown\nInstance: 127.0.0.1:8000 — ünïcödé',
      html: '<h2>🔥 CRITICAL: APIDown</h2>',
    });
    const [mail] = await sink.waitForMails(1, 5_000);
    assert.equal(mail?.subject, '[CRITICAL] Samokoder: APIDown — 🔥');
    assert.equal(mail?.text, 'FIRING: APIDown\nInstance: 127.0.0.1:8000 — ünïcödé');
    assert.equal(mail?.html, '<h2>🔥 CRITICAL: APIDown</h2>');
    assert.equal(mail?.envelopeFrom, USER);
    assert.deepEqual(mail?.envelopeTo, ['oncall@example.com']);
    assert.equal(mail?.user, USER);
    assert.equal(mail?.tls, true);
    assert.deepEqual(sink.authAttempts.at(-1), { user: USER, method: 'PLAIN', tls: true, accepted: true });
  });

  test('the dialogue: no AUTH and no MAIL before STARTTLS; after it AUTH is offered and MAIL needs it', async () => {
    const plain = connectTcp(sink.port, '127.0.0.1');
    const before = dialogue(plain);
    assert.match(await before.next(), /^220 /);
    const ehlo = await before.send('EHLO client.example.com');
    assert.match(ehlo, /^250-STARTTLS\r$/m);
    assert.doesNotMatch(ehlo, /AUTH/);
    assert.match(await before.send('AUTH PLAIN AGFsZXJ0cwBwYXNz'), /^5\d\d /);
    assert.match(await before.send('MAIL FROM:<a@example.com>'), /^530 .*STARTTLS/);
    assert.match(await before.send('STARTTLS'), /^220 /);
    before.detach();

    const secure = connectTls({ socket: plain, ca: readFileSync(sink.caFile as string), servername: 'localhost' });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    const after = dialogue(secure);
    const ehloTls = await after.send('EHLO client.example.com');
    assert.match(ehloTls, /^250-AUTH PLAIN LOGIN\r$/m);
    assert.doesNotMatch(ehloTls, /STARTTLS/);
    assert.match(await after.send('MAIL FROM:<a@example.com>'), /^530 /);
    const credentials = (pass: string) => Buffer.from(`\0${USER}\0${pass}`).toString('base64');
    assert.match(await after.send(`AUTH PLAIN ${credentials('wrong')}`), /^535 /);
    assert.match(await after.send(`AUTH PLAIN ${credentials(PASS)}`), /^235 /);
    assert.match(await after.send('MAIL FROM:<a@example.com>'), /^250 /);
    secure.destroy();
  });

  test('a wrong password gets 535 and nothing is recorded; a changed password refuses the old one', async () => {
    const count = sink.mails.length;
    await assert.rejects(transport(sink, { user: USER, pass: 'wrong' }).sendMail({ from: USER, to: 'a@example.com', text: 'x' }), responseCode(535));
    sink.setPassword('rotated-password');
    await assert.rejects(transport(sink, { user: USER, pass: PASS }).sendMail({ from: USER, to: 'a@example.com', text: 'x' }), responseCode(535));
    await transport(sink, { user: USER, pass: 'rotated-password' }).sendMail({ from: USER, to: 'a@example.com', text: 'rotated' });
    assert.deepEqual(sink.mails.slice(count).map((m) => m.text), ['rotated']);
    sink.setPassword(PASS);
  });

  test('no AUTH at all is refused (530)', async () => {
    await assert.rejects(transport(sink).sendMail({ from: USER, to: 'a@example.com', text: 'x' }), responseCode(530));
  });

  test('a client that does not trust the test CA stops at the certificate and sends no credentials', async () => {
    const attempts = sink.authAttempts.length;
    const untrusting = nodemailer.createTransport({ host: sink.host, port: sink.port, requireTLS: true, auth: { user: USER, pass: PASS } });
    await assert.rejects(untrusting.sendMail({ from: USER, to: 'a@example.com', text: 'x' }), /self[- ]signed|unable to verify|unknown authority|issuer certificate/i);
    assert.equal(sink.authAttempts.length, attempts);
  });
});

test('implicit TLS (port 465 style): TLS from the first byte, then AUTH', async () => {
  const sink = await startSmtpSink({ tls: 'implicit', user: USER, pass: PASS });
  try {
    await transport(sink, { user: USER, pass: PASS }).sendMail({ from: USER, to: 'b@example.com', subject: 'hi', text: 'implicit' });
    const [mail] = await sink.waitForMails(1, 5_000);
    assert.deepEqual([mail?.text, mail?.tls, mail?.user], ['implicit', true, USER]);
  } finally {
    await sink.close();
  }
});

test('plain mode: no STARTTLS; a client requiring TLS sends neither credentials nor mail, one that does not sends both in clear text', async () => {
  const sink = await startSmtpSink({ tls: 'none', user: USER, pass: PASS });
  try {
    const requiring = nodemailer.createTransport({ host: sink.host, port: sink.port, requireTLS: true, auth: { user: USER, pass: PASS } });
    await assert.rejects(requiring.sendMail({ from: USER, to: 'b@example.com', text: 'x' }), /STARTTLS/);
    assert.deepEqual([sink.authAttempts, sink.mails], [[], []]);
    await transport(sink, { user: USER, pass: PASS }).sendMail({ from: USER, to: 'b@example.com', text: 'plain' });
    const [mail] = await sink.waitForMails(1, 5_000);
    assert.deepEqual([mail?.text, mail?.tls], ['plain', false]);
    assert.deepEqual(sink.authAttempts, [{ user: USER, method: 'PLAIN', tls: false, accepted: true }]);
  } finally {
    await sink.close();
  }
});

test('without credentials configured it takes mail unauthenticated (after STARTTLS)', async () => {
  const sink = await startSmtpSink();
  try {
    await transport(sink).sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'hi', text: 'plain only' });
    const [mail] = await sink.waitForMails(1, 5_000);
    assert.equal(mail?.text, 'plain only');
    assert.equal(mail?.html, undefined);
    assert.equal(mail?.tls, true);
  } finally {
    await sink.close();
  }
});

test("parseMail reads Alertmanager's shape: Q-encoded subject, multipart/alternative, quoted-printable parts", () => {
  const raw = [
    'Subject: =?utf-8?q?[CRITICAL]_Samokoder:_APIDown_=E2=80=94_x?=',
    'To: oncall@example.com',
    'Content-Type: multipart/alternative;  boundary=abc123',
    'MIME-Version: 1.0',
    '',
    '--abc123',
    'Content-Transfer-Encoding: quoted-printable',
    'Content-Type: text/plain; charset=UTF-8',
    '',
    'FIRING: a long line that was wrapped by the quoted-printable encod=',
    'er, with =3D and =F0=9F=94=A5',
    '--abc123',
    'Content-Transfer-Encoding: quoted-printable',
    'Content-Type: text/html; charset=UTF-8',
    '',
    '<b>APIDown</b>',
    '--abc123--',
    '',
  ].join('\r\n');
  const mail = parseMail(raw);
  assert.equal(mail.subject, '[CRITICAL] Samokoder: APIDown — x');
  assert.equal(mail.text, 'FIRING: a long line that was wrapped by the quoted-printable encoder, with = and 🔥');
  assert.equal(mail.html, '<b>APIDown</b>');
});
