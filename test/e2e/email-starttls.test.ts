// The operator guide's email setup on the real stack (the code of `npm start`): a relay on a
// 587-style port with STARTTLS, its CA in SMTP_CA_FILE, SMTP_USER/SMTP_PASS, TLS required by
// default. `test-alert` reaches the mailbox over TLS after AUTH. Then the relay stops accepting the
// password (an app password revoked at the provider): the email notifications fail, the real
// AlertmanagerNotificationsFailing rule (with its real `for`) fires for the email integration and
// reaches Telegram, and `doctor`, pointed at the local stack, names the integration and the relay's
// answer from Alertmanager's log. Neither password appears in any log of the stack.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { doctorCommand } from '../../src/cli/doctor.ts';
import { testAlertCommand } from '../../src/cli/test-alert.ts';
import { alertFor } from '../../src/monitoring/rules.ts';
import { SERVICES } from '../../src/stack/services.ts';
import { emailEnv, startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { postAlerts, prometheusIntervals, severityTimings, startTestStack, type TestStack } from '../support/stack.ts';
import { startTelegramDouble, type TelegramDouble } from '../support/telegram-double.ts';

/** Slack for a busy two-core machine (four test files at once) and Alertmanager's retry backoff. */
const MARGIN_MS = 60_000;
/** Alertmanager gives up on a notification after the route's group_interval (at least 10 s). */
const MIN_NOTIFY_TIMEOUT_MS = 10_000;
const SMTP_USER = 'alerts@example.com';
// Fresh per run, so no committed file can hold them.
const SMTP_PASS = randomBytes(12).toString('base64url');
const NEW_PASS = randomBytes(12).toString('base64url');

let telegram: TelegramDouble;
let smtp: SmtpSink;
let stack: TestStack;
const printed: string[] = [];

/** Runs a command function, keeping its output for the no-secret check. */
async function capture(run: (output: { out: (l: string) => void; err: (l: string) => void }) => Promise<number>): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await run({ out: (l) => lines.push(l), err: (l) => lines.push(l) });
  const text = lines.join('\n');
  printed.push(text);
  return { code, text };
}

before(async () => {
  [telegram, smtp] = await Promise.all([startTelegramDouble(), startSmtpSink({ user: SMTP_USER, pass: SMTP_PASS })]);
  stack = await startTestStack({
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_CHAT_ID: '-100888',
    TELEGRAM_API_URL: telegram.url,
    ...emailEnv(smtp),
  });
});

after(async () => {
  await stack?.close();
  await Promise.all([telegram?.close(), smtp?.close()]);
});

/** The commands as an operator runs them on the machine of `npm start`: its DATA_DIR and ports, no URLs. */
const localEnv = () => ({
  DATA_DIR: stack.dataDir,
  ...Object.fromEntries(SERVICES.filter((s) => s.portVariable.endsWith('_PORT')).map((s) => [s.portVariable, String(stack.ports[s.name])])),
});

test('test-alert reaches the mailbox over STARTTLS, after AUTH with SMTP_USER/SMTP_PASS', async () => {
  const { code, text } = await capture((o) => testAlertCommand(['--severity', 'critical'], localEnv(), o));
  assert.equal(code, 0, text);
  const [mail] = await smtp.waitForMails(1, severityTimings(stack, 'critical').groupWait + MARGIN_MS, (m) => m.subject.includes('SamokoderTestAlert'));
  assert.deepEqual([mail?.tls, mail?.user, mail?.envelopeTo], [true, SMTP_USER, ['oncall@example.com']]);
  assert.deepEqual(smtp.authAttempts.filter((a) => !a.tls), [], 'no credentials before TLS');
});

test('the relay refuses the password: AlertmanagerNotificationsFailing fires for email and reaches Telegram; doctor names email and the 535', async (t) => {
  smtp.setPassword(NEW_PASS);
  const postedAt = Date.now();
  await postAlerts(stack, [{ labels: { alertname: 'RevokedPasswordDrill', severity: 'critical', component: 'e2e' }, annotations: { summary: 'drill' } }]);

  // The send fails until Alertmanager gives up (group_interval), Prometheus scrapes the counter,
  // the rule holds for its `for`, and the critical route waits group_wait before sending.
  const { groupWait, groupInterval } = severityTimings(stack, 'critical');
  const intervals = prometheusIntervals(stack);
  const bound = groupWait + Math.max(groupInterval, MIN_NOTIFY_TIMEOUT_MS) + intervals.scrape + 2 * intervals.evaluation + alertFor('AlertmanagerNotificationsFailing', 'monitoring.yml') + groupWait + MARGIN_MS;
  const [message] = await telegram.waitForMessages(1, bound, (m) => m.text.includes('AlertmanagerNotificationsFailing') && m.text.includes('FIRING'));
  t.diagnostic(`AlertmanagerNotificationsFailing on Telegram ${((Date.now() - postedAt) / 1000).toFixed(0)} s after the alert whose email failed (bound ${(bound / 1000).toFixed(0)} s)`);
  assert.match(message?.text ?? '', /through\s+email in the last 10 minutes/);
  assert.ok(smtp.authAttempts.some((a) => a.tls && !a.accepted && a.user === SMTP_USER), 'Alertmanager tried the old password over TLS');
  assert.deepEqual(smtp.mails.filter((m) => m.subject.includes('RevokedPasswordDrill')), []);

  const firing = (await (await fetch(`${stack.urls.prometheus}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
  assert.deepEqual(
    firing.data.alerts.filter((a) => a.labels.alertname === 'AlertmanagerNotificationsFailing' && a.state === 'firing').map((a) => a.labels.integration),
    ['email'],
  );

  const { code, text } = await capture((o) => doctorCommand([], localEnv(), o));
  assert.equal(code, 1, text);
  assert.match(text, /firing: .*AlertmanagerNotificationsFailing \(critical/);
  const logFile = join(stack.logDir, 'alertmanager.log');
  const line = text.split('\n').find((l) => l.includes('✖ email:')) ?? assert.fail(text);
  assert.ok(line.endsWith(`(from Alertmanager's log, ${logFile})`), line);
  assert.match(line, /email: \d+ notifications failed in the last 15m \(after retries\); last error \S+ \(receiver email\): .*535 Authentication credentials invalid/);
  assert.ok(!text.includes('✖ telegram'), 'Telegram did not fail');
});

test('neither password appears in any log of the stack or in the commands\' output', () => {
  const logs = readdirSync(stack.logDir).map((f) => join(stack.logDir, f));
  assert.ok(logs.some((f) => f.endsWith('alertmanager.log')), logs.join(', '));
  for (const file of logs) {
    const text = readFileSync(file, 'utf8');
    for (const secret of [SMTP_PASS, NEW_PASS]) assert.ok(!text.includes(secret), `an SMTP password in ${file}`);
  }
  for (const text of printed) for (const secret of [SMTP_PASS, NEW_PASS]) assert.ok(!text.includes(secret), 'an SMTP password in command output');
});
