// The message templates, rendered by the real `amtool template render` exactly as Alertmanager
// renders them (the fields of the rendered config's receivers, with the definitions the renderer
// puts in front; the Telegram message and the email HTML as Go html/templates), then judged by the
// Telegram double's parser: what Telegram would accept, how long it is, what a person reads, and
// where each link leads.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { renderAlertmanagerConfig } from '../../src/monitoring/alertmanager.ts';
import { TEMPLATES_DIR, OVERVIEW_UID } from '../../src/monitoring/paths.ts';
import { alertingSchema, DASHBOARD_URL_MAX, parseEnv } from '../../src/config.ts';
import { amtool, VARIANTS } from '../support/alertmanager-config.ts';
import { dashboardRange, linksNamed, messageLinks, silenceMatchers } from '../support/message-links.ts';
import { tempDir } from '../support/services.ts';
import { parseTelegramHtml, TELEGRAM_MAX_TEXT } from '../support/telegram-double.ts';

const dir = tempDir('am-templates');
after(() => dir.remove());

interface AlertInput {
  status?: 'firing' | 'resolved';
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generatorURL?: string;
}

const RUNBOOK = 'https://github.com/samokoder/samokoder/blob/main/docs/runbooks/APIDown.md';
const SOURCE = 'http://127.0.0.1:9090/graph?g0.expr=up%7Bjob%3D%22samokoder-api%22%7D+%3D%3D+0&g0.tab=1';
const DASHBOARD_URL = 'https://grafana.example.com';
const EXTERNAL_URL = 'http://127.0.0.1:9093';
const STARTS_AT = '2024-05-01T10:00:00Z';
const ENDS_AT = '2024-05-01T10:07:00Z';

function apiDown(instance: string, extra: AlertInput = {}): AlertInput {
  return {
    labels: { alertname: 'APIDown', severity: 'critical', component: 'api', instance, ...extra.labels },
    annotations: { summary: 'The Samokoder API is down', description: `${instance} has not answered scrapes for 1m (up = 0).`, runbook_url: RUNBOOK, ...extra.annotations },
    generatorURL: extra.generatorURL ?? SOURCE,
    ...(extra.status ? { status: extra.status } : {}),
  };
}

/** Alertmanager's template data (template.Data) for one group. */
function groupData(alerts: AlertInput[], externalURL: string) {
  const full = alerts.map((a, i) => ({
    status: a.status ?? 'firing',
    labels: a.labels ?? {},
    annotations: a.annotations ?? {},
    startsAt: STARTS_AT,
    endsAt: a.status === 'resolved' ? ENDS_AT : '0001-01-01T00:00:00Z',
    generatorURL: a.generatorURL ?? '',
    fingerprint: `f${i}`,
  }));
  const common = (key: 'labels' | 'annotations') =>
    Object.fromEntries(Object.entries(full[0]?.[key] ?? {}).filter(([k, v]) => full.every((a) => a[key][k] === v)));
  const commonLabels = common('labels');
  return {
    receiver: 'telegram',
    status: full.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts: full,
    groupLabels: Object.fromEntries(['alertname', 'severity', 'component', 'environment', 'region'].filter((k) => k in commonLabels).map((k) => [k, commonLabels[k]])),
    commonLabels,
    commonAnnotations: common('annotations'),
    externalURL,
  };
}

/** The message fields of the config rendered with DASHBOARD_URL `dashboardUrl`, as Alertmanager runs them. */
function messageFields(dashboardUrl: string) {
  const config = renderAlertmanagerConfig(parseEnv(alertingSchema, { ...VARIANTS.both, DASHBOARD_URL: dashboardUrl }), { templatesDir: TEMPLATES_DIR });
  const receivers = parse(config.yaml).receivers as Array<{ name: string; telegram_configs?: Array<{ message: string }>; email_configs?: Array<{ html: string; text: string; headers: { Subject: string } }> }>;
  const telegram = receivers.find((r) => r.name === 'telegram')?.telegram_configs?.[0];
  const email = receivers.find((r) => r.name === 'email')?.email_configs?.[0];
  assert.ok(telegram && email);
  return { telegram: telegram.message, subject: email.headers.Subject, text: email.text, html: email.html };
}

type Field = keyof ReturnType<typeof messageFields>;

interface RenderOptions {
  dashboardUrl?: string;
  externalUrl?: string;
}

let seq = 0;
/** Renders receiver field `field` for `alerts` with the real amtool; html mode where Alertmanager uses it. */
function render(field: Field, alerts: AlertInput[], options: RenderOptions = {}): string {
  const file = join(dir.path, `data-${seq++}.json`);
  writeFileSync(file, JSON.stringify(groupData(alerts, options.externalUrl ?? EXTERNAL_URL)));
  const type = field === 'telegram' || field === 'html' ? 'html' : 'text';
  const text = messageFields(options.dashboardUrl ?? DASHBOARD_URL)[field];
  const result = amtool(['template', 'render', `--template.glob=${join(TEMPLATES_DIR, '*.tmpl')}`, `--template.type=${type}`, `--template.data=${file}`, `--template.text=${text}`]);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** What telegram.tmpl promises: its budget (3600 bytes) plus under 300 bytes of header and footer, so well below Telegram's 4096. */
const TELEGRAM_RAW_BYTES = 3900;

/** The Telegram message for `alerts`, checked as Telegram and Alertmanager 0.25 would check it. */
function telegram(alerts: AlertInput[], options: RenderOptions = {}): { raw: string; text: string } {
  const raw = render('telegram', alerts, options);
  // Alertmanager 0.25 cuts the raw text at 4096 runes, which would break the markup; bytes bound runes.
  assert.ok(Buffer.byteLength(raw) <= TELEGRAM_RAW_BYTES, `raw message has ${Buffer.byteLength(raw)} bytes`);
  assert.ok(TELEGRAM_RAW_BYTES <= TELEGRAM_MAX_TEXT);
  const parsed = parseTelegramHtml(raw);
  assert.ok(parsed.ok, `Telegram would reject it: ${parsed.ok ? '' : parsed.error}\n${raw}`);
  assert.ok(parsed.text.length <= TELEGRAM_MAX_TEXT);
  return { raw, text: parsed.text };
}

const HOUR_MS = 3_600_000;
/** The dashboard link of an alert that started at STARTS_AT: from an hour before, to now (firing) or 15 minutes after ENDS_AT. */
function assertDashboardLink(href: string, status: 'firing' | 'resolved', dashboardUrl = DASHBOARD_URL): void {
  const range = dashboardRange(href);
  assert.equal(range.base, `${dashboardUrl}/d/${OVERVIEW_UID}`);
  assert.equal(range.from, Date.parse(STARTS_AT) - HOUR_MS);
  assert.equal(range.to, status === 'firing' ? 'now' : Date.parse(ENDS_AT) + HOUR_MS / 4);
}

/** The labels a silence link's matchers select, as an object. */
const silenced = (href: string, externalUrl = EXTERNAL_URL) => Object.fromEntries(silenceMatchers(href, externalUrl).map((m) => [m.name, m.value]));

describe('Telegram message', () => {
  test('firing: severity emoji and word, alertname, component, instance, summary, description, links', () => {
    const { raw, text } = telegram([apiDown('10.0.0.5:8000')]);
    assert.match(text, /^🔥 CRITICAL · FIRING\n/);
    assert.match(text, /APIDown · component api/);
    assert.match(text, /10\.0\.0\.5:8000 The Samokoder API is down/);
    assert.match(text, /has not answered scrapes for 1m \(up = 0\)/);
    assert.match(text, /\nDashboard · Silence\n/);
    assert.match(text, /\nRunbook · Prometheus$/);
    assert.ok(raw.includes(`<a href="${RUNBOOK}">Runbook</a>`), raw);
    assert.ok(raw.includes('<a href="http://127.0.0.1:9090/graph?g0.expr=up%7Bjob%3D%22samokoder-api%22%7D&#43;%3D%3D&#43;0&amp;g0.tab=1">Prometheus</a>'), raw);
  });

  test('each link leads where it says: the runbook, the graph, the dashboard over the alert\'s time, a silence of exactly its labels', () => {
    const labels = { alertname: 'APIDown', severity: 'critical', component: 'api', instance: '10.0.0.5:8000', environment: 'production', region: 'eu-central' };
    const { raw } = telegram([apiDown('10.0.0.5:8000', { labels })]);
    assert.deepEqual(messageLinks(raw).map((l) => l.text), ['Dashboard', 'Silence', 'Runbook', 'Prometheus']);
    assert.deepEqual(linksNamed(raw, 'Runbook'), [RUNBOOK]);
    assert.deepEqual(linksNamed(raw, 'Prometheus'), [SOURCE]);
    assertDashboardLink(linksNamed(raw, 'Dashboard')[0] as string, 'firing');
    assert.deepEqual(silenced(linksNamed(raw, 'Silence')[0] as string), labels);
    // alertname first, as Alertmanager's own "Silence" button orders them.
    assert.equal(silenceMatchers(linksNamed(raw, 'Silence')[0] as string, EXTERNAL_URL)[0]?.name, 'alertname');
  });

  test('label values with quotes, backslashes, spaces, & + # and non-ASCII survive the silence link; the link stays well-formed', () => {
    const labels = { alertname: 'APIDown', instance: 'a "b" \\c d&e+f#g=h,i}', region: 'северо-запад 🔥' };
    const { raw } = telegram([apiDown('x', { labels })]);
    const [href] = linksNamed(raw, 'Silence');
    assert.deepEqual(silenced(href as string), { ...labels, severity: 'critical', component: 'api' });
    // As written in the filter: " and \ escaped with a backslash, the way Alertmanager's matcher parser reads them.
    assert.equal(silenceMatchers(href as string, EXTERNAL_URL).find((m) => m.name === 'instance')?.written, 'instance="a \\"b\\" \\\\c d&e+f#g=h,i}"');
  });

  test('Alertmanager under a route prefix (compose: /alertmanager): the silence form is below it', () => {
    const external = 'https://monitoring.example.com/alertmanager';
    const { raw } = telegram([apiDown('a:1')], { externalUrl: external });
    assert.ok(linksNamed(raw, 'Silence')[0]?.startsWith(`${external}/#/silences/new?filter=`));
  });

  test('resolved: the dashboard runs to 15 minutes after the end; nothing to silence', () => {
    const { raw } = telegram([apiDown('a:1', { status: 'resolved' })]);
    assert.deepEqual(messageLinks(raw).map((l) => l.text), ['Dashboard', 'Runbook', 'Prometheus']);
    assertDashboardLink(linksNamed(raw, 'Dashboard')[0] as string, 'resolved');
  });

  test('DASHBOARD_URL with a path and the longest one allowed: the overview below it', () => {
    for (const base of ['https://monitoring.example.com/grafana', `https://${'d'.repeat(DASHBOARD_URL_MAX - 'https://'.length - 4)}.com`]) {
      assert.ok(base.length <= DASHBOARD_URL_MAX);
      const { raw } = telegram([apiDown('a:1')], { dashboardUrl: base });
      assertDashboardLink(linksNamed(raw, 'Dashboard')[0] as string, 'firing', base);
    }
  });

  test('the environment and region the alerts come from are on the second line, HTML-escaped', () => {
    const where = { environment: 'production', region: 'eu-central' };
    assert.equal(telegram([apiDown('a:1', { labels: where })]).text.split('\n')[1], 'APIDown · component api · production/eu-central');
    assert.equal(telegram([apiDown('a:1', { labels: { region: 'eu-central' } })]).text.split('\n')[1], 'APIDown · component api · eu-central');
    assert.equal(telegram([apiDown('a:1')]).text.split('\n')[1], 'APIDown · component api');
    const { raw, text } = telegram([apiDown('a:1', { labels: { environment: '<i>prod</i>', region: 'x'.repeat(100) } })]);
    assert.ok(raw.includes('&lt;i&gt;prod&lt;/i&gt;'), raw);
    assert.ok(text.split('\n')[1]?.endsWith(`/${'x'.repeat(32)}…`), 'cut to 32 runes');
  });

  test('each severity has its own emoji and word', () => {
    const first = (severity: string | undefined) =>
      telegram([{ labels: { alertname: 'X', ...(severity ? { severity } : {}) }, annotations: { summary: 's' } }]).text.split('\n')[0];
    assert.equal(first('warning'), '⚠️ WARNING · FIRING');
    assert.equal(first('info'), 'ℹ️ INFO · FIRING');
    assert.equal(first(undefined), '❔ ALERT · FIRING');
  });

  test('resolved is a different message: no FIRING, no description, the instances that recovered', () => {
    const { text } = telegram([apiDown('10.0.0.5:8000', { status: 'resolved' }), apiDown('10.0.0.6:8000', { status: 'resolved' })]);
    assert.match(text, /^✅ RESOLVED · was 🔥 CRITICAL\n/);
    assert.doesNotMatch(text, /FIRING|has not answered/);
    assert.match(text, /10\.0\.0\.5:8000 The Samokoder API is down/);
    assert.match(text, /10\.0\.0\.6:8000/);
  });

  test('a firing group with some alerts resolved counts them', () => {
    const { text } = telegram([apiDown('a:1'), apiDown('b:1', { status: 'resolved' }), apiDown('c:1', { status: 'resolved' })]);
    assert.match(text, /^🔥 CRITICAL · FIRING/);
    assert.match(text, /✅ 2 resolved/);
    assert.doesNotMatch(text, /b:1/);
  });

  test('interpolated values are escaped, so markup in labels and annotations arrives as text', () => {
    const summary = '<script>alert(1)</script> & "quotes" \'single\' a+b';
    const { raw, text } = telegram([apiDown('<b>host</b>:8000', { annotations: { summary, description: '5 < 6 && 7 > 6' } })]);
    assert.ok(text.includes(summary), text);
    assert.ok(text.includes('<b>host</b>:8000'));
    assert.ok(text.includes('5 < 6 && 7 > 6'));
    assert.ok(raw.includes('&lt;script&gt;'));
  });

  test('60 alerts in one group: the first 5, "and 55 more", and their links', () => {
    const alerts = Array.from({ length: 60 }, (_, i) => apiDown(`10.0.${i}.1:8000`));
    const { raw, text } = telegram(alerts);
    assert.equal(text.match(/^• /gm)?.length, 5);
    assert.match(text, /and 55 more/);
    assert.match(text, /10\.0\.4\.1:8000/);
    assert.doesNotMatch(text, /10\.0\.5\.1:8000/);
    const silences = linksNamed(raw, 'Silence');
    assert.ok(silences.length >= 1, 'at least the first alert can be silenced from the message');
    silences.forEach((href, i) => assert.equal(silenced(href).instance, `10.0.${i}.1:8000`, 'each link silences its own alert, in order'));
    assert.equal(linksNamed(raw, 'Dashboard').length >= silences.length, true);
    assert.deepEqual(linksNamed(raw, 'Runbook'), [RUNBOOK]);
  });

  test('links are the first to go: the alerts listed are the same whatever their links would cost', () => {
    const bulky = { labels: { bulky: '"'.repeat(2000) }, annotations: { runbook_url: `https://example.com/${'&'.repeat(190)}` }, generatorURL: `http://x/?${'&+'.repeat(95)}` };
    for (const length of [0, 150, 300, 450, 600, 700]) {
      const alerts = (extra: AlertInput) =>
        Array.from({ length: 60 }, (_, i) => apiDown(`10.0.${i}.1:8000`, { ...extra, annotations: { description: 'd'.repeat(length), ...extra.annotations } }));
      const plain = telegram(alerts({}));
      const costly = telegram(alerts(bulky), { dashboardUrl: `https://${'d'.repeat(DASHBOARD_URL_MAX - 12)}.com` });
      const listed = (text: string) => text.match(/^• .*$/gm);
      assert.deepEqual(listed(costly.text), listed(plain.text), `description of ${length}`);
      assert.match(costly.text, new RegExp(`and ${60 - (listed(plain.text)?.length ?? 0)} more`));
    }
  });

  test('worst case: 60 huge alerts full of characters that escape to 5 bytes, and the longest links, still fit and stay well-formed', () => {
    const alerts = Array.from({ length: 60 }, (_, i) =>
      apiDown(`${"'".repeat(300)}${i}`, {
        labels: { environment: `&<>"'+`.repeat(100), region: '🔥'.repeat(100), extra: `"\\ é🔥&+`.repeat(200) },
        annotations: { summary: '🔥'.repeat(1000), description: `&<>"'+`.repeat(2000), runbook_url: `https://x/${'&'.repeat(195)}` },
        generatorURL: `http://x/?${'&+'.repeat(98)}`,
      }),
    );
    const external = `http://127.0.0.1:9093/${'&'.repeat(190)}`;
    for (const dashboardUrl of [DASHBOARD_URL, `https://${'d'.repeat(DASHBOARD_URL_MAX - 12)}.com`]) {
      const { text } = telegram(alerts, { dashboardUrl, externalUrl: external });
      const shown = text.match(/^• /gm)?.length ?? 0;
      assert.ok(shown <= 5);
      assert.match(text, new RegExp(`and ${60 - shown} more`));
    }
    // Small alerts with every link as long as it may be, and labels whose every character
    // percent-encodes to the most bytes of its kind: what the links take stays counted.
    for (const extra of ['"\\'.repeat(60), '🔥'.repeat(60), 'é'.repeat(120), ' &#'.repeat(80)]) {
      const small = Array.from({ length: 60 }, (_, i) =>
        apiDown(`${i}`, { labels: { extra }, annotations: { description: '', runbook_url: `https://x/${'&'.repeat(195)}` }, generatorURL: `http://x/?${'&+'.repeat(98)}` }),
      );
      const { raw } = telegram(small, { dashboardUrl: `https://${'d'.repeat(DASHBOARD_URL_MAX - 12)}.com` });
      assert.ok(linksNamed(raw, 'Silence').length >= 1, raw);
    }
    // Many short labels: what each costs in a silence link adds up.
    const labelled = Array.from({ length: 60 }, (_, i) => apiDown(`${i}`, { labels: Object.fromEntries(Array.from({ length: 150 }, (_, j) => [`l${j}`, ''])) }));
    assert.ok(linksNamed(telegram(labelled).raw, 'Silence').length >= 1);
  });

  test('links are kept only when they are plain http(s) URLs of a bounded length', () => {
    const longRunbook = telegram([apiDown('a:1', { annotations: { runbook_url: `https://example.com/${'x'.repeat(1000)}` } })]);
    assert.doesNotMatch(longRunbook.raw, />Runbook</);
    assert.match(longRunbook.raw, />Prometheus</);
    const scripted = telegram([apiDown('a:1', { annotations: { runbook_url: 'javascript:alert(1)' } })]);
    assert.doesNotMatch(scripted.raw, />Runbook</);
    const quoted = telegram([apiDown('a:1', { generatorURL: 'http://127.0.0.1:9090/graph?g0.expr="x"' })]);
    assert.doesNotMatch(quoted.raw, />Prometheus</);
    const longExternal = telegram([apiDown('a:1')], { externalUrl: `http://127.0.0.1:9093/${'x'.repeat(1000)}` });
    assert.doesNotMatch(longExternal.raw, />Silence</);
  });

  test("the Prometheus graph of a long expression (APIDown's) is kept while it fits, and dropped when it does not", () => {
    const expr = (length: number) => `http://127.0.0.1:9090/graph?g0.expr=${'up+%3D%3D+0+or+'.repeat(length / 16)}&g0.tab=1`;
    const fits = telegram([apiDown('a:1', { generatorURL: expr(1500) })]);
    assert.deepEqual(linksNamed(fits.raw, 'Prometheus'), [expr(1500)]);
    const tooLong = telegram([apiDown('a:1', { generatorURL: expr(4000) })]);
    assert.deepEqual(linksNamed(tooLong.raw, 'Prometheus'), []);
    assert.deepEqual(messageLinks(tooLong.raw).map((l) => l.text), ['Dashboard', 'Silence', 'Runbook'], 'the other links stay');
  });
});

describe('email', () => {
  test('subject: [SEVERITY] Samokoder <environment>/<region>: <alertname>, marked when resolved', () => {
    assert.equal(render('subject', [apiDown('a:1')]), '[CRITICAL] Samokoder: APIDown');
    assert.equal(render('subject', [apiDown('a:1', { status: 'resolved' })]), '[CRITICAL] Samokoder: APIDown (resolved)');
    assert.equal(render('subject', [{ labels: { alertname: 'HighCPUUsage', severity: 'warning' } }]), '[WARNING] Samokoder: HighCPUUsage');
    assert.equal(render('subject', [apiDown('a:1', { labels: { environment: 'production', region: 'eu-central' } })]), '[CRITICAL] Samokoder production/eu-central: APIDown');
  });

  test('both parts name the environment and region', () => {
    const alerts = [apiDown('a:1', { labels: { environment: 'staging', region: 'us-east' } })];
    assert.match(render('text', alerts), /^FIRING: APIDown\nSeverity: CRITICAL\nComponent: api\nEnvironment: staging\nRegion: us-east\n/);
    assert.match(render('html', alerts), /environment <b>staging<\/b> · region <b>us-east<\/b>/);
  });

  test('the plain-text part has every field of every alert', () => {
    const text = render('text', [apiDown('a:1'), apiDown('b:2', { status: 'resolved' })]);
    assert.match(text, /^FIRING: APIDown\nSeverity: CRITICAL\nComponent: api\n/);
    assert.match(text, /Firing \(1\):\n- The Samokoder API is down\n  Instance: a:1\n  a:1 has not answered scrapes/);
    assert.match(text, /Resolved \(1\):\n- The Samokoder API is down\n  Instance: b:2/);
    assert.match(text, /Ended: 2024-05-01 10:07:00 UTC/);
    assert.ok(text.includes(`Runbook: ${RUNBOOK}`));
    assert.ok(text.includes(`Prometheus: ${SOURCE}`));
  });

  /** The URLs of the `Name: URL` lines of a plain-text part, by name. */
  const textLinks = (text: string, name: string) => [...text.matchAll(new RegExp(`^  ${name}: (\\S+)$`, 'gm'))].map((m) => m[1] as string);

  test('each alert carries its runbook, graph and dashboard, and a silence while firing, in both parts alike', () => {
    const labels = { instance: 'a "b"&c+d é', environment: 'production' };
    const alerts = [apiDown('a:1', { labels }), apiDown('b:2'), apiDown('c:3', { status: 'resolved' })];
    const text = render('text', alerts);
    const html = render('html', alerts);
    for (const [name, count] of [['Runbook', 3], ['Prometheus', 3], ['Dashboard', 3], ['Silence', 2]] as const) {
      assert.equal(textLinks(text, name).length, count, `${name} in the text part`);
      assert.deepEqual(linksNamed(html, name), textLinks(text, name), `${name}: the HTML part links to the same URLs`);
    }
    const dashboards = textLinks(text, 'Dashboard');
    dashboards.slice(0, 2).forEach((href) => assertDashboardLink(href, 'firing'));
    assertDashboardLink(dashboards[2] as string, 'resolved');
    const [first, second] = textLinks(text, 'Silence');
    assert.deepEqual(silenced(first as string), { alertname: 'APIDown', severity: 'critical', component: 'api', ...labels });
    assert.equal(silenced(second as string).instance, 'b:2');
    // In the HTML part every & of a link is an entity.
    for (const href of [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1] as string)) assert.doesNotMatch(href, /&(?!amp;|#43;|#34;|#39;)/);
  });

  test('the HTML part escapes values and links to the runbook and Prometheus', () => {
    const html = render('html', [apiDown('a:1', { annotations: { summary: '<script>x</script>' } })]);
    assert.match(html, /<h2[^>]*>🔥 CRITICAL: APIDown<\/h2>/);
    assert.ok(html.includes('&lt;script&gt;x&lt;/script&gt;'));
    assert.ok(!html.includes('<script>'));
    assert.ok(html.includes(`<a href="${RUNBOOK}">Runbook</a>`));
  });

  test('a runbook that is not an http(s) URL is no link', () => {
    const html = render('html', [apiDown('a:1', { annotations: { runbook_url: 'javascript:alert(1)' } })]);
    assert.doesNotMatch(html, /javascript:/);
  });
});
