// Reading why notifications failed out of Alertmanager's log, on lines as Alertmanager 0.25 writes
// them (copied from a real run, values changed), as the local log file and `docker compose logs`
// show them. email-tls.test.ts and e2e/email-starttls.test.ts read a real Alertmanager's log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastFailures, logfmtFields } from '../../src/cli/alertmanager-log.ts';
import { doctorCommand } from '../../src/cli/doctor.ts';

const attempt = (ts: string, integration: string, err: string) =>
  `ts=${ts} caller=notify.go:732 level=warn component=dispatcher receiver=${integration.replace(/\[\d+\]$/, '')} integration=${integration} msg="Notify attempt failed, will retry later" attempts=1 err=${JSON.stringify(err)}`;
const gaveUp = (ts: string, err: string) => `ts=${ts} caller=dispatch.go:352 level=error component=dispatcher msg="Notify for alerts failed" num_alerts=1 err=${JSON.stringify(err)}`;

test('logfmt: quoted values with escaped quotes, bare values, and a compose prefix without `=`', () => {
  const line = `samokoder-alertmanager  | ts=2025-01-02T03:04:05.678Z level=warn integration=email[0] err="'require_tls' is true (default) but \\"smtp.example.com:587\\" does not advertise the STARTTLS extension"`;
  assert.deepEqual(logfmtFields(line), {
    ts: '2025-01-02T03:04:05.678Z',
    level: 'warn',
    integration: 'email[0]',
    err: `'require_tls' is true (default) but "smtp.example.com:587" does not advertise the STARTTLS extension`,
  });
});

test('the last failure per integration, from retried attempts and from notifications given up on', () => {
  const log = [
    'ts=2025-01-02T03:00:00.000Z caller=main.go:241 level=info msg="Starting Alertmanager" version="(version=0.25.0)"',
    attempt('2025-01-02T03:00:01.000Z', 'email[0]', 'establish connection to server: dial tcp 127.0.0.1:2525: connect: connection refused'),
    gaveUp('2025-01-02T03:00:11.000Z', 'email/email[0]: notify retry canceled after 7 attempts: *smtp.plainAuth auth: 535 Authentication credentials invalid'),
    attempt('2025-01-02T03:00:12.000Z', 'telegram[0]', 'Post "https://api.telegram.org/bot123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/sendMessage": dial tcp: lookup api.telegram.org: no such host'),
    'ts=2025-01-02T03:00:13.000Z caller=notify.go:743 level=info component=dispatcher receiver=webhook integration=webhook[0] msg="Notify success" attempts=2',
  ].join('\n');
  const failures = lastFailures(log);
  assert.deepEqual([...failures.keys()].sort(), ['email', 'telegram']);
  assert.deepEqual(failures.get('email'), {
    integration: 'email',
    receiver: 'email',
    at: '2025-01-02T03:00:11.000Z',
    error: 'notify retry canceled after 7 attempts: *smtp.plainAuth auth: 535 Authentication credentials invalid',
  });
  const telegram = failures.get('telegram')?.error ?? '';
  assert.match(telegram, /\/bot<redacted>\/sendMessage/);
  assert.doesNotMatch(telegram, /123456:/, 'the bot token is redacted');
});

test('several integrations given up on in one line are each named; a long reason is cut', () => {
  const long = 'x'.repeat(1000);
  const failures = lastFailures(gaveUp('2025-01-02T03:00:00.000Z', `critical/email[0]: notify retry canceled after 2 attempts: boom; critical/webhook[0]: ${long}`));
  assert.equal(failures.get('email')?.error, 'notify retry canceled after 2 attempts: boom');
  assert.equal(failures.get('email')?.receiver, 'critical');
  assert.equal(failures.get('webhook')?.error.length, 301);
});

test('doctor: an --alertmanager-log it cannot read is one line and exit 1, before any request', async () => {
  const lines: string[] = [];
  const code = await doctorCommand(['--alertmanager-log', '/nonexistent/alertmanager.log'], { PROMETHEUS_URL: 'http://127.0.0.1:9', ALERTMANAGER_URL: 'http://127.0.0.1:9' }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  assert.equal(code, 1);
  assert.deepEqual(lines, ['doctor: --alertmanager-log: cannot read /nonexistent/alertmanager.log (ENOENT)']);
});
