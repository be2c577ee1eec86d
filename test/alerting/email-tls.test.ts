// Email over TLS on the real Alertmanager (Debian's 0.25) with configs our renderer writes, one
// Alertmanager per SMTP server the SMTP sink plays (test/support/smtp-sink.ts):
// - implicit TLS on port 465 with SMTP_CA_FILE: the mail arrives over TLS after AUTH;
// - STARTTLS with a wrong password: 535, nothing delivered, the failure counted for the email
//   integration, its reason in Alertmanager's log, named by `doctor`; the password in no log;
// - a plain server (no STARTTLS) with TLS required (the default): neither credentials nor mail;
// - a certificate the system roots do not trust (SMTP_CA_FILE unset): neither credentials nor mail;
// - the same plain server with SMTP_REQUIRE_TLS=false: the password does cross in clear text
//   (what the renderer warns about), so the two checks above can fail.
// STARTTLS with the right password is alertmanager.test.ts's. Timings are shortened as there.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { doctorCommand } from '../../src/cli/doctor.ts';
import { IMPLICIT_TLS_PORT } from '../../src/monitoring/alertmanager.ts';
import { freePort } from '../../src/stack/ports.ts';
import { startTestAlertmanager, type TestAlertmanager } from '../support/alertmanager-config.ts';
import { sampleValue } from '../support/api.ts';
import { tempDir } from '../support/services.ts';
import { emailEnv, startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../support/smtp-sink.ts';
import { postAlerts } from '../support/stack.ts';

const USER = 'alerts@example.com';
// Fresh per run, so no committed file can hold them.
const PASS = randomBytes(12).toString('base64url');
const WRONG_PASS = randomBytes(12).toString('base64url');
/** A failed notification is counted once Alertmanager gives up: its 10 s minimum timeout, plus slack. */
const GIVE_UP_MS = 40_000;

const dir = tempDir('email-tls');
interface Scenario {
  sink: SmtpSink;
  am: TestAlertmanager;
}
const scenarios: Record<string, Scenario> = {};

/**
 * Starts a sink and an Alertmanager sending email only to it, set up as the guide says (its CA,
 * TLS required) but for `env`, then posts a critical alert.
 */
async function scenario(name: string, sinkOptions: SmtpSinkOptions, env: Record<string, string> = {}): Promise<void> {
  const sink = await startSmtpSink({ user: USER, pass: PASS, ...sinkOptions });
  try {
    const am = await startTestAlertmanager(dir.path, { ...emailEnv(sink), ...env }, name);
    scenarios[name] = { sink, am };
    await postAlerts({ urls: { alertmanager: am.url } }, [{ labels: { alertname: `EmailTls_${name}`, severity: 'critical', component: 'e2e' }, annotations: { summary: name } }]);
  } catch (err) {
    await sink.close();
    throw err;
  }
}

before(async () => {
  await Promise.all([
    scenario('implicit', { tls: 'implicit', port: IMPLICIT_TLS_PORT }),
    scenario('wrong-password', {}, { SMTP_PASS: WRONG_PASS }),
    scenario('plain-server', { tls: 'none' }),
    scenario('untrusted', {}, { SMTP_CA_FILE: '' }),
    scenario('cleartext', { tls: 'none' }, { SMTP_REQUIRE_TLS: 'false' }),
  ]);
});

after(async () => {
  // Alertmanagers first: a send to a closed sink would be another failure.
  await Promise.all(Object.values(scenarios).map((s) => s.am.process.stop()));
  await Promise.all(Object.values(scenarios).map((s) => s.sink.close()));
  dir.remove();
});

const get = (name: string) => scenarios[name] as Scenario;

/** Resolves once Alertmanager has given up on at least one email notification; returns its log. */
async function gaveUp(name: string): Promise<string> {
  const { am } = get(name);
  const deadline = Date.now() + GIVE_UP_MS;
  for (;;) {
    const metrics = await (await fetch(`${am.url}/metrics`)).text();
    if ((sampleValue(metrics, 'alertmanager_notifications_failed_total', { integration: 'email' }) ?? 0) >= 1) break;
    if (Date.now() > deadline) assert.fail(`${name}: no failed email notification within ${GIVE_UP_MS / 1000} s; log:\n${am.process.tail()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return readFileSync(am.logFile, 'utf8');
}

test('port 465 (implicit TLS) with SMTP_CA_FILE: the critical alert arrives over TLS, after AUTH', async () => {
  const { sink } = get('implicit');
  const [mail] = await sink.waitForMails(1, 30_000);
  assert.equal(mail?.subject, '[CRITICAL] Samokoder: EmailTls_implicit');
  assert.deepEqual([mail?.tls, mail?.user], [true, USER]);
  assert.deepEqual(sink.authAttempts.map((a) => [a.tls, a.accepted]), [[true, true]]);
});

test('a wrong password: refused over TLS, no mail, the email failure counted, the reason logged without the password, and doctor names it', async () => {
  const { sink, am } = get('wrong-password');
  const log = await gaveUp('wrong-password');
  assert.ok(sink.authAttempts.length > 0 && sink.authAttempts.every((a) => a.tls && !a.accepted && a.user === USER), JSON.stringify(sink.authAttempts));
  assert.deepEqual(sink.mails, []);
  assert.match(log, /level=error .*msg="Notify for alerts failed".*email\/email\[0\]: notify retry canceled after \d+ attempts: .*535 /);
  for (const secret of [WRONG_PASS, PASS]) assert.ok(!log.includes(secret), "a password in Alertmanager's log");

  const lines: string[] = [];
  const nothing = `http://127.0.0.1:${await freePort()}`; // no Prometheus: doctor counts since Alertmanager's start
  const code = await doctorCommand(['--alertmanager-log', am.logFile], { PROMETHEUS_URL: nothing, ALERTMANAGER_URL: am.url }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  const text = lines.join('\n');
  assert.equal(code, 1, text);
  const line = lines.find((l) => l.includes('✖ email:')) ?? assert.fail(text);
  assert.match(line, /email: \d+ notifications failed since Alertmanager started .*; last error \S+ \(receiver email\): .*535 Authentication credentials invalid \(from Alertmanager's log, .*wrong-password\.log\)$/);
  for (const secret of [WRONG_PASS, PASS]) assert.ok(!text.includes(secret), 'a password in the doctor output');
});

test('a plain server (no STARTTLS) with TLS required: neither credentials nor mail', async () => {
  const { sink } = get('plain-server');
  const log = await gaveUp('plain-server');
  assert.deepEqual([sink.authAttempts, sink.mails], [[], []]);
  assert.match(log, /'require_tls' is true \(default\) but \\"127\.0\.0\.1:\d+\\" does not advertise the STARTTLS extension/);
});

test('a certificate the system roots do not trust (SMTP_CA_FILE unset): neither credentials nor mail', async () => {
  const { sink } = get('untrusted');
  const log = await gaveUp('untrusted');
  assert.deepEqual([sink.authAttempts, sink.mails], [[], []]);
  assert.match(log, /send STARTTLS command: (tls: failed to verify certificate: )?x509: certificate signed by unknown authority/);
  assert.ok(sink.errors.some((e) => /TLS/.test(e)), `the handshake was not aborted: ${sink.errors.join('; ')}`);
});

test('the same plain server with SMTP_REQUIRE_TLS=false gets the password in clear text (why TLS is required)', async () => {
  const { sink } = get('cleartext');
  const [mail] = await sink.waitForMails(1, 30_000);
  assert.deepEqual([mail?.tls, mail?.user], [false, USER]);
  assert.deepEqual(sink.authAttempts.map((a) => [a.tls, a.accepted]), [[false, true]]);
});
