// The real Alertmanager (Debian's 0.25) with a config rendered by our renderer, delivering to the
// Telegram double and the SMTP sink (STARTTLS with a test CA given as SMTP_CA_FILE, AUTH after
// TLS, as Gmail's port 587): what people receive is accepted by Telegram, well-formed, escaped,
// bounded in size, says where it comes from, and its links work: the silence link opens this
// Alertmanager's silence form with matchers that silence exactly that alert, the dashboard link
// asks a real HTTP server (standing in for the dashboards) for the overview over the alert's time
// (the inhibitions: inhibitions.test.ts).
//
// Only the timings are shortened (group_wait 1s, group_interval 2s) so the resolved message comes
// in seconds rather than a minute; the real timings are asserted in routing.test.ts.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { OVERVIEW_UID } from '../../src/monitoring/paths.ts';
import { amtool, SECRETS, startTestAlertmanager, type TestAlertmanager } from '../support/alertmanager-config.ts';
import { dashboardRange, linksNamed, silenceMatchers } from '../support/message-links.ts';
import { tempDir } from '../support/services.ts';
import { emailEnv, startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { startTelegramDouble, TELEGRAM_MAX_TEXT, type TelegramDouble } from '../support/telegram-double.ts';

const SMTP_USER = 'alerts@example.com';
const WAIT_MS = 30_000;
/** What Prometheus adds to every alert it sends (its external labels). */
const EXTERNAL = { environment: 'test', region: 'local' };

const dir = tempDir('am-live');
let telegram: TelegramDouble;
let smtp: SmtpSink;
let am: TestAlertmanager;
/** Requests the stand-in for the dashboards received (path and query). */
const dashboardRequests: string[] = [];
let dashboards: Server;

before(async () => {
  [telegram, smtp] = await Promise.all([startTelegramDouble(), startSmtpSink({ user: SMTP_USER, pass: SECRETS.SMTP_PASS })]);
  dashboards = createServer((req, res) => {
    dashboardRequests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><title>dashboard</title>');
  });
  await new Promise<void>((resolve) => dashboards.listen(0, '127.0.0.1', resolve));
  am = await startTestAlertmanager(dir.path, {
    DASHBOARD_URL: `http://127.0.0.1:${(dashboards.address() as AddressInfo).port}`,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_CHAT_ID: '-100777',
    TELEGRAM_API_URL: telegram.url,
    ...emailEnv(smtp),
  });
});

after(async () => {
  // Alertmanager first: a send to a closed double would be a transport error.
  await am?.process.stop();
  await Promise.all([telegram?.close(), smtp?.close(), new Promise((resolve) => (dashboards ? dashboards.close(resolve) : resolve(undefined)))]);
  dir.remove();
});

interface PostedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  generatorURL?: string;
  endsAt?: string;
}

async function post(alerts: PostedAlert[]): Promise<void> {
  const res = await fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts.map((a) => ({ ...a, labels: { ...EXTERNAL, ...a.labels } }))),
  });
  assert.equal(res.status, 200, await res.text());
}

const apiDown: PostedAlert = {
  labels: { alertname: 'APIDown', severity: 'critical', component: 'api', instance: '127.0.0.1:8000', job: 'samokoder-api' },
  annotations: {
    summary: 'The Samokoder API is down',
    description: '127.0.0.1:8000 has not answered scrapes for 1m (up = 0).',
    runbook_url: 'https://github.com/samokoder/samokoder/blob/main/docs/runbooks/APIDown.md',
  },
  generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=up%7Bjob%3D%22samokoder-api%22%7D+%3D%3D+0&g0.tab=1',
};
const markup = '<b>5 < 6 & "x"</b> \'q\'';
/** Label values a silence link must carry exactly: markup, quotes, a backslash, spaces, & and +. */
const markupLabels = { alertname: 'MarkupInValues', severity: 'warning', component: 'api', instance: '<i>host</i>', detail: 'a "quoted" \\ value & more + less' };

test('posted alerts are all accepted at once (one group each)', async () => {
  await post([
    apiDown,
    ...Array.from({ length: 60 }, (_, i) => ({
      labels: { alertname: 'ManyTargetsDown', severity: 'critical', component: 'monitoring', instance: `10.0.${i}.1:9100` },
      annotations: { summary: 'A target is down', description: `10.0.${i}.1:9100 has been down for 2m.`, runbook_url: apiDown.annotations?.runbook_url as string },
      generatorURL: apiDown.generatorURL as string,
    })),
    { labels: markupLabels, annotations: { summary: markup, description: 'a & b < c' } },
  ]);
});

/** Alertmanager's copy of the alerts matching `filters` (matchers as its API parses them). */
async function amAlerts(filters: string[]): Promise<Array<{ labels: Record<string, string>; startsAt: string; status: { state: string; silencedBy: string[] } }>> {
  const query = new URLSearchParams(filters.map((f) => ['filter', f]));
  const res = await fetch(`${am.url}/api/v2/alerts?${query}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Array<{ labels: Record<string, string>; startsAt: string; status: { state: string; silencedBy: string[] } }>;
}

test('a critical alert reaches Telegram and email', async () => {
  const [message] = await telegram.waitForMessages(1, WAIT_MS, (m) => m.text.includes('APIDown'));
  assert.match(message?.text ?? '', /^🔥 CRITICAL · FIRING\nAPIDown · component api · test\/local\n/);
  assert.match(message?.text ?? '', /127\.0\.0\.1:8000 The Samokoder API is down/);
  assert.equal(message?.chatId, '-100777');
  assert.equal(message?.parseMode, 'HTML');

  const [mail] = await smtp.waitForMails(1, WAIT_MS, (m) => m.subject.includes('APIDown'));
  assert.equal(mail?.subject, '[CRITICAL] Samokoder test/local: APIDown');
  assert.deepEqual(mail?.envelopeTo, ['oncall@example.com']);
  assert.equal(mail?.user, SMTP_USER, 'Alertmanager authenticated with SMTP_USER/SMTP_PASS');
  assert.equal(mail?.tls, true, 'over STARTTLS');
  assert.deepEqual(smtp.authAttempts.filter((a) => !a.tls || !a.accepted), [], 'credentials only over TLS, and right');
  assert.match(mail?.text ?? '', /FIRING: APIDown\nSeverity: CRITICAL\nComponent: api\nEnvironment: test\nRegion: local\n[\s\S]*Instance: 127\.0\.0\.1:8000[\s\S]*Runbook: https:/);
  assert.match(mail?.html ?? '', /environment <b>test<\/b> · region <b>local<\/b>/);
  assert.match(mail?.html ?? '', /<h2[^>]*>🔥 CRITICAL: APIDown<\/h2>/);
});

test('Telegram and email carry the same four links: runbook, Prometheus graph, dashboard, silence', async () => {
  const [message] = await telegram.waitForMessages(1, WAIT_MS, (m) => m.text.includes('APIDown'));
  const [mail] = await smtp.waitForMails(1, WAIT_MS, (m) => m.subject.includes('APIDown'));
  for (const name of ['Runbook', 'Prometheus', 'Dashboard', 'Silence']) {
    const [href] = linksNamed(message?.raw ?? '', name);
    assert.ok(href, `no ${name} link in ${message?.raw}`);
    assert.deepEqual(linksNamed(mail?.html ?? '', name), [href], `the email's ${name} link`);
    assert.ok((mail?.text ?? '').includes(`  ${name}: ${href}\n`), `the plain-text part's ${name} link`);
  }
  assert.deepEqual(linksNamed(message?.raw ?? '', 'Runbook'), [apiDown.annotations?.runbook_url]);
  assert.deepEqual(linksNamed(message?.raw ?? '', 'Prometheus'), [apiDown.generatorURL]);
});

test('the dashboard link opens the overview from an hour before the alert started to now', async () => {
  const [message] = await telegram.waitForMessages(1, WAIT_MS, (m) => m.text.includes('APIDown'));
  const [href] = linksNamed(message?.raw ?? '', 'Dashboard');
  const [alert] = await amAlerts(['alertname="APIDown"']);
  const res = await fetch(href as string);
  assert.equal(res.status, 200);
  const asked = new URL(dashboardRequests.at(-1) as string, 'http://dashboards');
  assert.equal(asked.pathname, `/d/${OVERVIEW_UID}`);
  assert.equal(Number(asked.searchParams.get('from')), Date.parse(alert?.startsAt as string) - 3_600_000);
  assert.equal(asked.searchParams.get('to'), 'now');
  assert.deepEqual(dashboardRange(href as string).to, 'now');
});

test('the silence link opens Alertmanager\'s silence form with matchers that silence exactly that alert', async () => {
  const [message] = await telegram.waitForMessages(1, WAIT_MS, (m) => m.text.includes('MarkupInValues'));
  const [href] = linksNamed(message?.raw ?? '', 'Silence');
  // The form is a route of the UI at Alertmanager's root (the fragment stays in the browser).
  const page = await fetch(href as string);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.equal(new URL(page.url).origin + new URL(page.url).pathname, `${am.url}/`);

  const matchers = silenceMatchers(href as string, am.url);
  assert.deepEqual(Object.fromEntries(matchers.map((m) => [m.name, m.value])), { ...EXTERNAL, ...markupLabels });
  // Alertmanager's own matcher parser reads them as written in the link, and they select that alert alone.
  const selected = await amAlerts(matchers.map((m) => m.written));
  assert.deepEqual(selected.map((a) => a.labels), [{ ...EXTERNAL, ...markupLabels }]);

  const added = amtool(['silence', 'add', `--alertmanager.url=${am.url}`, '--author=test', '--comment=from the message link', '--duration=1h', ...matchers.map((m) => m.written)]);
  assert.equal(added.status, 0, added.stderr);
  const id = added.stdout.trim();
  const [silencedAlert] = await amAlerts(['alertname="MarkupInValues"']);
  assert.equal(silencedAlert?.status.state, 'suppressed');
  assert.deepEqual(silencedAlert?.status.silencedBy, [id]);
  for (const other of await amAlerts(['alertname=~"APIDown|ManyTargetsDown"'])) assert.equal(other.status.state, 'active', `${other.labels.alertname} is not silenced`);
});

test('a group of 60 alerts is one message Telegram accepts, with the count of the rest and links that fit', async () => {
  const [message] = await telegram.waitForMessages(1, WAIT_MS, (m) => m.text.includes('ManyTargetsDown'));
  assert.ok((message?.text.length ?? Infinity) <= TELEGRAM_MAX_TEXT);
  assert.ok([...(message?.raw ?? '')].length <= TELEGRAM_MAX_TEXT, 'Alertmanager 0.25 did not have to cut it');
  assert.equal(message?.text.match(/^• /gm)?.length, 5);
  assert.match(message?.text ?? '', /and 55 more/);
  const silences = linksNamed(message?.raw ?? '', 'Silence');
  assert.ok(silences.length >= 1);
  const instances = [...(message?.text ?? '').matchAll(/^• (\S+)/gm)].map((m) => m[1]);
  silences.forEach((href, i) => assert.equal(silenceMatchers(href, am.url).find((m) => m.name === 'instance')?.value, instances[i]));
  assert.equal(linksNamed(message?.raw ?? '', 'Runbook').length, 1);
});

test('HTML special characters in values arrive escaped and are accepted', async () => {
  const [message] = await telegram.waitForMessages(1, WAIT_MS, (m) => m.text.includes('MarkupInValues'));
  assert.ok(message?.text.includes(markup), message?.text);
  assert.ok(message?.text.includes('<i>host</i>'));
  assert.ok(message?.raw.includes('&lt;b&gt;5 &lt; 6 &amp; &#34;x&#34;&lt;/b&gt;'), message?.raw);
  const mails = smtp.mails.filter((m) => m.subject.includes('MarkupInValues'));
  assert.deepEqual(mails, [], 'a warning goes to Telegram only');
});

test('the resolved message is a different one, on Telegram and by email', async () => {
  await post([{ ...apiDown, endsAt: new Date().toISOString() }]);
  const [message] = await telegram.waitForMessages(1, WAIT_MS, (m) => m.text.includes('APIDown') && m.text.includes('RESOLVED'));
  assert.match(message?.text ?? '', /^✅ RESOLVED · was 🔥 CRITICAL\nAPIDown/);
  assert.doesNotMatch(message?.text ?? '', /FIRING/);
  const [mail] = await smtp.waitForMails(1, WAIT_MS, (m) => m.subject === '[CRITICAL] Samokoder test/local: APIDown (resolved)');
  assert.match(mail?.text ?? '', /^RESOLVED: APIDown/);
});

test('Telegram rejected nothing Alertmanager sent; Alertmanager runs alone (no gossip port) and is still up', async () => {
  assert.deepEqual(telegram.requests.filter((r) => r.status !== 200), []);
  const status = (await (await fetch(`${am.url}/api/v2/status`)).json()) as { cluster: { status: string }; config: { original: string } };
  assert.equal(status.cluster.status, 'disabled');
  for (const secret of [SECRETS.SMTP_PASS, telegram.token]) assert.ok(!status.config.original.includes(secret), 'the status API masks secrets');
  const state = await Promise.race([am.process.exited.then(() => 'exited'), new Promise((resolve) => setTimeout(() => resolve('running'), 100))]);
  assert.equal(state, 'running', am.process.tail());
});
