// Secrets stay secret through a whole run of the real stack: the bot token, the SMTP password,
// the JWT secret and the database and Redis passwords appear in no log file, no command line, no
// /metrics, no API error response, no doctor output, no Prometheus or Alertmanager API answer and
// no committed file.
// Telegram is unreachable on purpose: Alertmanager 0.25 logs the full bot URL when a send fails
// at the network level, so this also proves the launcher redacts child output.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { doctorCommand } from '../../src/cli/doctor.ts';
import { runTraffic } from '../../src/cli/traffic.ts';
import { freePort } from '../../src/stack/ports.ts';
import { emailEnv, startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { postAlerts, startTestStack, type TestStack } from '../support/stack.ts';

// Fresh per run, so the committed files (this one included) cannot contain them by accident.
const BOT_TOKEN = `${1_000_000_000 + randomInt(1_000_000_000)}:${randomBytes(26).toString('base64url')}`;
const SMTP_PASS = randomBytes(18).toString('base64url');
const JWT_SECRET = randomBytes(32).toString('hex');
const METRICS_TOKEN = randomBytes(20).toString('hex');
let smtp: SmtpSink;
let stack: TestStack;
const seen: string[] = [];

before(async () => {
  smtp = await startSmtpSink({ user: 'alerts', pass: SMTP_PASS });
  stack = await startTestStack({
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_CHAT_ID: '-100555',
    TELEGRAM_API_URL: `http://127.0.0.1:${await freePort()}`,
    ...emailEnv(smtp),
    JWT_SECRET,
    METRICS_TOKEN, // the stack only starts once Prometheus scrapes the API with it
    LOG_LEVEL: 'debug',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10000',
  });
  await runTraffic({ api: stack.urls.api, requests: 150, seconds: 60, concurrency: 2 });
  await postAlerts(stack, [{ labels: { alertname: 'SecretsDrill', severity: 'critical', component: 'e2e' }, annotations: { summary: 'drill' } }]);
  const [mail] = await smtp.waitForMails(1, 60_000);
  assert.deepEqual([mail?.tls, mail?.user], [true, 'alerts'], 'the password went over STARTTLS');
  // Error responses of every kind the API gives, including with the database down.
  for (const [method, path, body] of [
    ['POST', '/api/v1/auth/login', '{"email":"x@example.com","password":"wrong password"}'],
    ['POST', '/api/v1/auth/register', '{"email":'],
    ['GET', '/api/v1/projects', undefined],
  ] as const) {
    seen.push(await (await fetch(stack.urls.api + path, { method, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${JWT_SECRET}` } })).text());
  }
  await stack.service('postgres').stop();
  seen.push(await (await fetch(`${stack.urls.api}/api/v1/auth/login`, { method: 'POST', body: '{"email":"x@example.com","password":"whatever pw"}', headers: { 'content-type': 'application/json' } })).text());
  seen.push(await (await fetch(`${stack.urls.api}/health`)).text());
  const doctor: string[] = [];
  await doctorCommand([], { PROMETHEUS_URL: stack.urls.prometheus, ALERTMANAGER_URL: stack.urls.alertmanager }, { out: (l) => doctor.push(l), err: (l) => doctor.push(l) });
  seen.push(doctor.join('\n'));
  await stack.service('postgres').restart();
  seen.push(await (await fetch(stack.urls.metrics, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text());
  for (const url of [`${stack.urls.alertmanager}/api/v2/status`, `${stack.urls.alertmanager}/metrics`, `${stack.urls.prometheus}/api/v1/status/config`, `${stack.urls.prometheus}/api/v1/targets`]) {
    seen.push(await (await fetch(url)).text());
  }
});
after(async () => {
  await stack?.close();
  await smtp?.close();
});

function secrets(): Record<string, string> {
  const dbPassword = readFileSync(join(stack.dataDir, 'postgres', 'samokoder.password'), 'utf8').trim();
  const redisPassword = readFileSync(join(stack.dataDir, 'redis', 'redis.password'), 'utf8').trim();
  return { 'bot token': BOT_TOKEN, 'bot token secret part': BOT_TOKEN.split(':')[1]!, 'SMTP password': SMTP_PASS, 'JWT secret': JWT_SECRET, 'metrics token': METRICS_TOKEN, 'database password': dbPassword, 'Redis password': redisPassword };
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => (statSync(join(dir, e)).isDirectory() ? files(join(dir, e)) : [join(dir, e)]));
}

test('no secret in any log file of the stack', () => {
  const logs = files(stack.logDir);
  assert.ok(logs.length >= 5, `only ${logs.length} log files`);
  const alertmanagerLog = readFileSync(join(stack.logDir, 'alertmanager.log'), 'utf8');
  assert.match(alertmanagerLog, /bot<redacted>/, 'the failed Telegram sends were logged (redacted)');
  for (const file of logs) {
    const text = readFileSync(file, 'utf8');
    for (const [name, value] of Object.entries(secrets())) assert.ok(!text.includes(value), `${name} in ${file}`);
  }
});

test('no secret on the command line of any process of the stack (`ps` shows it to every user)', () => {
  const children = stack.started().filter((name) => name !== 'alert_printer');
  assert.ok(children.length >= 8, children.join(', '));
  for (const name of children) {
    const cmdline = readFileSync(`/proc/${stack.service(name).process.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    for (const [secret, value] of Object.entries(secrets())) assert.ok(!cmdline.includes(value), `${secret} on the command line of ${name}`);
  }
});

test('no secret in /metrics, error responses, doctor output or the Prometheus and Alertmanager APIs', () => {
  assert.ok(seen.length >= 10);
  for (const text of seen) {
    for (const [name, value] of Object.entries(secrets())) assert.ok(!text.includes(value), `${name} in: ${text.slice(0, 200)}`);
  }
});

test('no secret in any committed file, and the rendered Alertmanager config is mode 0600', () => {
  const committed = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of committed) {
    const text = readFileSync(file, 'latin1');
    for (const [name, value] of Object.entries(secrets())) assert.ok(!text.includes(value), `${name} committed in ${file}`);
  }
  assert.equal(statSync(stack.alertmanagerConfigFile).mode & 0o777, 0o600);
});
