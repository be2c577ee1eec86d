// The SMTP sink is a real SMTP server: a real client (nodemailer) delivers to it, wrong or missing
// credentials are refused like a real server refuses them, and what it records is the decoded mail
// (subject words, text and HTML parts), which the Alertmanager email tests rely on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import { parseMail, startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const USER = 'alerts@example.com';
const PASS = 'sink-password';

const transport = (sink: SmtpSink, auth?: { user: string; pass: string }) =>
  nodemailer.createTransport({ host: sink.host, port: sink.port, secure: false, ignoreTLS: true, ...(auth ? { auth } : {}) });

describe('with credentials required', () => {
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink({ user: USER, pass: PASS });
  });
  after(() => sink.close());

  test('a mail sent with AUTH arrives decoded: subject, text and HTML parts, envelope, user', async () => {
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
  });

  test('a wrong password gets 535 and nothing is recorded', async () => {
    const count = sink.mails.length;
    await assert.rejects(transport(sink, { user: USER, pass: 'wrong' }).sendMail({ from: USER, to: 'a@example.com', text: 'x' }), (err: { responseCode?: number }) => {
      assert.equal(err.responseCode, 535);
      return true;
    });
    assert.equal(sink.mails.length, count);
  });

  test('no AUTH at all is refused (530)', async () => {
    await assert.rejects(transport(sink).sendMail({ from: USER, to: 'a@example.com', text: 'x' }), (err: { responseCode?: number }) => {
      assert.equal(err.responseCode, 530);
      return true;
    });
  });
});

test('without credentials configured it takes mail unauthenticated', async () => {
  const sink = await startSmtpSink();
  try {
    await transport(sink).sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'hi', text: 'plain only' });
    const [mail] = await sink.waitForMails(1, 5_000);
    assert.equal(mail?.text, 'plain only');
    assert.equal(mail?.html, undefined);
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
