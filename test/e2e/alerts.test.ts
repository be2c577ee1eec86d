// End to end on the real stack (the code of `npm start`): API → Prometheus → the real rules →
// Alertmanager (config rendered from the environment) → the Telegram double and the SMTP sink
// (STARTTLS with SMTP_CA_FILE and AUTH, TLS required: the operator guide's 587 setup), and the
// links of what arrives, followed on the same stack.
// One stack for the whole file; the scenarios overlap in time to keep the runtime to ~3 minutes:
// (c) a critical alert posted first meets 3 failing Telegram sends; (a) the API is killed at the
// same time; (b) warning and info alerts and (d) a group of 50 follow once (c) is delivered.
// Prometheus runs with short intervals; every bound is computed from the configs the stack runs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { resolveTime } from '../../src/dashboard-viewer/public/time.js';
import { OVERVIEW_UID } from '../../src/monitoring/paths.ts';
import { runbookPath, runbookUrl } from '../../src/monitoring/rules.ts';
import { dashboardRange, linksNamed, silenceMatchers } from '../support/message-links.ts';
import { emailEnv, startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { apiDownWorstCaseMs } from '../../src/stack/stack.ts';
import { postAlerts, prometheusIntervals, severityTimings, startTestStack, type TestStack } from '../support/stack.ts';
import { startTelegramDouble, TELEGRAM_MAX_TEXT, type TelegramDouble } from '../support/telegram-double.ts';

/** Slack for process scheduling on a busy two-core machine and Alertmanager's retry backoff. */
const MARGIN_MS = 20_000;
const SMTP_USER = 'alerts@example.com';
const SMTP_PASS = randomBytes(12).toString('base64url');

let telegram: TelegramDouble;
let smtp: SmtpSink;
let stack: TestStack;
let killedAt = 0;
let apiEnviron: string[] = [];

const e2eAlert = (alertname: string, severity: string, extra: Record<string, string> = {}) => ({
  labels: { alertname, severity, component: 'e2e', ...extra },
  annotations: { summary: `${alertname} summary`, description: `${alertname} posted by the e2e test` },
});

before(async () => {
  [telegram, smtp] = await Promise.all([startTelegramDouble(), startSmtpSink({ user: SMTP_USER, pass: SMTP_PASS })]);
  stack = await startTestStack({
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_CHAT_ID: '-100424242',
    TELEGRAM_API_URL: telegram.url,
    ...emailEnv(smtp),
  });
  // (c) The next three sendMessage calls fail; the first send is this critical alert's.
  telegram.failNext(3, 500);
  await postAlerts(stack, [e2eAlert('E2ETelegramRetry', 'critical')]);
  // (a) Killed, not stopped: no graceful shutdown, and the stack must notice.
  const api = stack.service('api').process;
  apiEnviron = readFileSync(`/proc/${api.pid}/environ`, 'utf8').split('\0');
  process.kill(api.pid, 'SIGKILL');
  killedAt = Date.now();
  await api.exited;
});

after(async () => {
  await stack?.close();
  await Promise.all([telegram?.close(), smtp?.close()]);
});

test('(c) Telegram fails the first 3 sends: the message is still delivered', async () => {
  const { groupWait } = severityTimings(stack, 'critical');
  const [message] = await telegram.waitForMessages(1, groupWait + MARGIN_MS, (m) => m.text.includes('E2ETelegramRetry'));
  assert.match(message?.text ?? '', /CRITICAL · FIRING\nE2ETelegramRetry/);
  assert.deepEqual(
    telegram.requests.slice(0, 3).map((r) => r.status),
    [500, 500, 500],
    'the first three sends were refused',
  );
  // Now (b) and (d): posted once the failures are used up, so they cannot absorb them.
  await postAlerts(stack, [
    e2eAlert('E2EWarning', 'warning'),
    e2eAlert('E2EInfo', 'info'),
    ...Array.from({ length: 50 }, (_, i) => e2eAlert('E2EGroupOf50', 'warning', { instance: `10.0.${i}.1:9100` })),
  ]);
});

test('(a) the API is killed: APIDown reaches Telegram and email within the bound the config implies; back up: resolved', async (t) => {
  const intervals = prometheusIntervals(stack);
  const { groupInterval } = severityTimings(stack, 'critical');
  const bound = apiDownWorstCaseMs(stack) + MARGIN_MS;
  const remaining = () => Math.max(1, bound - (Date.now() - killedAt));

  const [message] = await telegram.waitForMessages(1, remaining(), (m) => m.text.includes('APIDown') && m.text.includes('FIRING'));
  const telegramDelay = Date.now() - killedAt;
  const [mail] = await smtp.waitForMails(1, remaining(), (m) => m.subject === '[CRITICAL] Samokoder test/local: APIDown');
  const mailDelay = Date.now() - killedAt;
  const line = `APIDown delay after the kill: Telegram ${(telegramDelay / 1000).toFixed(1)} s, email ${(mailDelay / 1000).toFixed(1)} s (bound ${(bound / 1000).toFixed(0)} s)`;
  t.diagnostic(line);
  process.stderr.write(`${line}\n`);
  assert.match(message?.text ?? '', /^🔥 CRITICAL · FIRING\nAPIDown · component api · test\/local\n/);
  assert.match(message?.text ?? '', /\bapi\b/, 'the instance label is the stable service name');
  assert.match(mail?.text ?? '', /FIRING: APIDown/);
  assert.deepEqual([mail?.tls, mail?.user], [true, SMTP_USER], 'over STARTTLS, after AUTH');
  assert.deepEqual(stack.crashes.filter((c) => c.service === 'api'), [{ service: 'api', exit: 'SIGKILL' }], 'the stack reported the killed API');
  await assertLinksWork(message?.raw ?? '', 'APIDown');

  const restartedAt = Date.now();
  await stack.service('api').restart();
  // The next scrape, the evaluation that resolves, then the group's next flush.
  const resolvedBound = intervals.scrape + intervals.evaluation + groupInterval + MARGIN_MS;
  const resolvedLeft = () => Math.max(1, resolvedBound - (Date.now() - restartedAt));
  const [resolved] = await telegram.waitForMessages(1, resolvedLeft(), (m) => m.text.includes('APIDown') && m.text.includes('RESOLVED'));
  assert.match(resolved?.text ?? '', /^✅ RESOLVED · was 🔥 CRITICAL\nAPIDown/);
  await smtp.waitForMails(1, resolvedLeft(), (m) => m.subject === '[CRITICAL] Samokoder test/local: APIDown (resolved)');
  t.diagnostic(`APIDown resolved ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the API was restarted (bound ${(resolvedBound / 1000).toFixed(0)} s)`);
});

/**
 * Follows every link of a firing message about `alertname`, while it fires, on this stack: the
 * runbook is the rule's page in docs/runbooks/, the graph answers on this Prometheus and its
 * expression returns the firing series, the silence link opens this Alertmanager and its matchers
 * (read by Alertmanager's own parser) select that alert, the dashboard link opens the stack's
 * viewer on the overview over the alert's time.
 */
async function assertLinksWork(raw: string, alertname: string): Promise<void> {
  assert.deepEqual(linksNamed(raw, 'Runbook'), [runbookUrl(alertname)]);
  assert.ok(existsSync(runbookPath(alertname)));

  const graph = linksNamed(raw, 'Prometheus')[0] ?? '';
  assert.ok(graph.startsWith(`${stack.urls.prometheus}/graph?`), graph);
  assert.equal((await fetch(graph)).status, 200, 'Prometheus answers the graph link');
  const query = new URLSearchParams({ query: new URL(graph).searchParams.get('g0.expr') ?? '' });
  const answer = (await (await fetch(`${stack.urls.prometheus}/api/v1/query?${query}`)).json()) as { data: { result: unknown[] } };
  assert.ok(answer.data.result.length > 0, 'the graph shows the series that fire');

  const silence = linksNamed(raw, 'Silence')[0] ?? '';
  assert.equal((await fetch(silence)).status, 200, "Alertmanager answers the silence form's page");
  const matchers = silenceMatchers(silence, stack.urls.alertmanager);
  const filters = new URLSearchParams(matchers.map((m) => ['filter', m.written]));
  const selected = (await (await fetch(`${stack.urls.alertmanager}/api/v2/alerts?${filters}`)).json()) as Array<{ labels: Record<string, string>; startsAt: string }>;
  assert.deepEqual(selected.map((a) => a.labels.alertname), [alertname], 'the matchers select that alert');

  // The stack's dashboard viewer: the page, the dashboard the link names, and its time range as the page reads it.
  const dashboard = linksNamed(raw, 'Dashboard')[0] ?? '';
  assert.equal(dashboardRange(dashboard).base, `${stack.urls.dashboard}/d/${OVERVIEW_UID}`);
  const page = await fetch(dashboard);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.equal((await fetch(`${stack.urls.dashboard}/api/dashboards/uid/${OVERVIEW_UID}`)).status, 200);
  const params = new URL(dashboard).searchParams;
  const now = Date.now();
  assert.equal(resolveTime(params.get('from'), now), Date.parse(selected[0]?.startsAt as string) - 3_600_000, 'from an hour before the alert started');
  assert.equal(resolveTime(params.get('to'), now), now, 'to now');
}

test('(b) posted warning and info alerts reach Telegram only', async () => {
  const wait = severityTimings(stack, 'info').groupWait + MARGIN_MS + 60_000;
  const messages = await telegram.waitForMessages(2, wait, (m) => /E2EWarning|E2EInfo/.test(m.text));
  const texts = messages.map((m) => m.text);
  assert.ok(texts.some((text) => text.startsWith('⚠️ WARNING · FIRING\nE2EWarning')), texts.join('\n---\n'));
  assert.ok(texts.some((text) => text.startsWith('ℹ️ INFO · FIRING\nE2EInfo')), texts.join('\n---\n'));
  // Mails of the same flush would have arrived with the messages; the critical ones did.
  await new Promise((r) => setTimeout(r, 3_000));
  assert.deepEqual(smtp.mails.filter((m) => /E2EWarning|E2EInfo|E2EGroupOf50/.test(m.subject + (m.text ?? ''))).map((m) => m.subject), []);
  assert.ok(smtp.mails.some((m) => m.subject.includes('E2ETelegramRetry')), 'the critical test alert did go by email');
});

test('(d) a group of 50 alerts is one message Telegram accepts', async () => {
  const [message] = await telegram.waitForMessages(1, severityTimings(stack, 'warning').groupWait + MARGIN_MS, (m) => m.text.includes('E2EGroupOf50'));
  assert.ok((message?.text.length ?? Infinity) <= TELEGRAM_MAX_TEXT);
  assert.match(message?.text ?? '', /and \d+ more/);
});

test('(c) ... and exactly once; Telegram rejected nothing else', () => {
  assert.equal(telegram.messages.filter((m) => m.text.includes('E2ETelegramRetry')).length, 1);
  assert.deepEqual(
    telegram.requests.filter((r) => r.status !== 200).map((r) => r.status),
    [500, 500, 500],
  );
});

test('the API process gets its own configuration, not the alert channels\' credentials', () => {
  assert.ok(apiEnviron.some((v) => v.startsWith('DATABASE_URL=')), 'the API got its database');
  assert.deepEqual(apiEnviron.filter((v) => /^(TELEGRAM_|SMTP_|ALERT_EMAIL=)/.test(v)), []);
});
