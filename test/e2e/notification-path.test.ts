// The alert path through its own faults, on the real stack: the SMTP relay down (Telegram still
// delivers), Alertmanager restarted (its state under DATA_DIR: the firing alert comes back and is
// not sent twice), Prometheus restarted (alerting resumes, the resolution still arrives).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort } from '../../src/stack/ports.ts';
import { postAlerts, severityTimings, startTestStack, type TestStack } from '../support/stack.ts';
import { startTelegramDouble, type TelegramDouble } from '../support/telegram-double.ts';

const MARGIN_MS = 20_000;
let telegram: TelegramDouble;
let stack: TestStack;

before(async () => {
  telegram = await startTelegramDouble();
  stack = await startTestStack({
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_CHAT_ID: '-100777',
    TELEGRAM_API_URL: telegram.url,
    ALERT_EMAIL: 'oncall@example.com',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(await freePort()), // nothing listens: the relay is down
  });
});
after(async () => {
  await stack?.close();
  await telegram?.close();
});

async function amMetric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${stack.urls.alertmanager}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what} not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

async function alertsIn(url: string): Promise<string[]> {
  const body = (await (await fetch(url)).json()) as Array<{ labels: { alertname: string } }> | { data: { alerts: Array<{ labels: { alertname: string }; state: string }> } };
  return Array.isArray(body) ? body.map((a) => a.labels.alertname) : body.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname);
}

const apiDownMessages = () => telegram.messages.filter((m) => m.text.includes('APIDown') && m.text.includes('FIRING'));

test('SMTP relay down: a critical alert still reaches Telegram, and the email failures are counted', async () => {
  const { groupWait } = severityTimings(stack, 'critical');
  await postAlerts(stack, [{ labels: { alertname: 'SmtpDownDrill', severity: 'critical', component: 'e2e' }, annotations: { summary: 'drill' } }]);
  await telegram.waitForMessages(1, groupWait + MARGIN_MS, (m) => m.text.includes('SmtpDownDrill'));
  await until('email failures counted', 60_000, async () =>
    (await amMetric('alertmanager_notification_requests_failed_total', 'integration="email"')) > 0 ? true : undefined,
  );
});

test('Alertmanager restarted while APIDown fires: the alert comes back from Prometheus and is not sent twice', async () => {
  await stack.service('api').stop();
  await until('APIDown delivered', 150_000, async () => (apiDownMessages().length > 0 ? true : undefined));
  await stack.service('alertmanager').restart();
  // Prometheus re-sends firing alerts (--rules.alert.resend-delay, 1 min by default).
  await until('APIDown back in Alertmanager', 120_000, async () =>
    (await alertsIn(`${stack.urls.alertmanager}/api/v2/alerts`)).includes('APIDown') ? true : undefined,
  );
  const { groupWait } = severityTimings(stack, 'critical');
  await new Promise((r) => setTimeout(r, groupWait + 10_000));
  assert.equal(apiDownMessages().length, 1, 'the notification log under DATA_DIR prevents a duplicate');
});

test('Prometheus restarted: APIDown is firing again, and the resolution still reaches Telegram', async () => {
  await stack.service('prometheus').restart();
  await until('APIDown firing after the restart', 120_000, async () =>
    (await alertsIn(`${stack.urls.prometheus}/api/v1/alerts`)).includes('APIDown') ? true : undefined,
  );
  await stack.service('api').restart();
  await until('APIDown resolved on Telegram', 180_000, async () =>
    telegram.messages.some((m) => m.text.includes('APIDown') && m.text.includes('RESOLVED')) ? true : undefined,
  );
});
