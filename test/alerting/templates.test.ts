// The message templates, rendered by the real `amtool template render` exactly as Alertmanager
// renders them (the Telegram message and the email HTML as Go html/templates), then judged by the
// Telegram double's parser: what Telegram would accept, how long it is, what a person reads.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TEMPLATES_DIR } from '../../src/alerting/render.ts';
import { amtool } from '../support/alertmanager-config.ts';
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

function apiDown(instance: string, extra: AlertInput = {}): AlertInput {
  return {
    labels: { alertname: 'APIDown', severity: 'critical', component: 'api', instance, ...extra.labels },
    annotations: { summary: 'The Samokoder API is down', description: `${instance} has not answered scrapes for 1m (up = 0).`, runbook_url: RUNBOOK, ...extra.annotations },
    generatorURL: extra.generatorURL ?? SOURCE,
    ...(extra.status ? { status: extra.status } : {}),
  };
}

/** Alertmanager's template data (template.Data) for one group. */
function groupData(alerts: AlertInput[]) {
  const full = alerts.map((a, i) => ({
    status: a.status ?? 'firing',
    labels: a.labels ?? {},
    annotations: a.annotations ?? {},
    startsAt: '2024-05-01T10:00:00Z',
    endsAt: a.status === 'resolved' ? '2024-05-01T10:07:00Z' : '0001-01-01T00:00:00Z',
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
    externalURL: 'http://127.0.0.1:9093',
  };
}

let seq = 0;
/** Renders template `name` for `alerts` with the real amtool; html mode as Alertmanager uses it. */
function render(name: string, alerts: AlertInput[], type: 'html' | 'text'): string {
  const file = join(dir.path, `data-${seq++}.json`);
  writeFileSync(file, JSON.stringify(groupData(alerts)));
  const result = amtool(['template', 'render', `--template.glob=${join(TEMPLATES_DIR, '*.tmpl')}`, `--template.type=${type}`, `--template.data=${file}`, `--template.text={{ template "${name}" . }}`]);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** The Telegram message for `alerts`, checked as Telegram and Alertmanager 0.25 would check it. */
function telegram(alerts: AlertInput[]): { raw: string; text: string } {
  const raw = render('telegram.message', alerts, 'html');
  // Alertmanager 0.25 cuts the raw text at 4096 runes, which would break the markup.
  assert.ok([...raw].length <= TELEGRAM_MAX_TEXT, `raw message has ${[...raw].length} runes`);
  const parsed = parseTelegramHtml(raw);
  assert.ok(parsed.ok, `Telegram would reject it: ${parsed.ok ? '' : parsed.error}\n${raw}`);
  assert.ok(parsed.text.length <= TELEGRAM_MAX_TEXT);
  return { raw, text: parsed.text };
}

describe('Telegram message', () => {
  test('firing: severity emoji and word, alertname, component, instance, summary, description, links', () => {
    const { raw, text } = telegram([apiDown('10.0.0.5:8000')]);
    assert.match(text, /^🔥 CRITICAL · FIRING\n/);
    assert.match(text, /APIDown · component api/);
    assert.match(text, /10\.0\.0\.5:8000 The Samokoder API is down/);
    assert.match(text, /has not answered scrapes for 1m \(up = 0\)/);
    assert.ok(raw.includes(`<a href="${RUNBOOK}">Runbook</a>`), raw);
    assert.ok(raw.includes('<a href="http://127.0.0.1:9090/graph?g0.expr=up%7Bjob%3D%22samokoder-api%22%7D&#43;%3D%3D&#43;0&amp;g0.tab=1">Prometheus</a>'), raw);
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

  test('50 alerts in one group: the first 5 and "and 45 more"', () => {
    const alerts = Array.from({ length: 50 }, (_, i) => apiDown(`10.0.${i}.1:8000`));
    const { text } = telegram(alerts);
    assert.equal(text.match(/^• /gm)?.length, 5);
    assert.match(text, /and 45 more/);
    assert.match(text, /10\.0\.4\.1:8000/);
    assert.doesNotMatch(text, /10\.0\.5\.1:8000/);
  });

  test('worst case: huge values full of characters that escape to 5 bytes still fit and stay well-formed', () => {
    const alerts = Array.from({ length: 50 }, (_, i) =>
      apiDown(`${"'".repeat(300)}${i}`, {
        labels: { environment: `&<>"'+`.repeat(100), region: '🔥'.repeat(100) },
        annotations: { summary: '🔥'.repeat(1000), description: `&<>"'+`.repeat(2000) },
        generatorURL: `http://x/?${'&+'.repeat(495)}`,
      }),
    );
    const { text } = telegram(alerts);
    const shown = text.match(/^• /gm)?.length ?? 0;
    assert.ok(shown <= 5);
    assert.match(text, new RegExp(`and ${50 - shown} more`));
  });

  test('links are kept only when they are plain http(s) URLs of a bounded length', () => {
    const long = telegram([apiDown('a:1', { generatorURL: `http://127.0.0.1:9090/graph?g0.expr=${'x'.repeat(1200)}` })]);
    assert.doesNotMatch(long.raw, />Prometheus</);
    assert.match(long.raw, />Runbook</);
    const scripted = telegram([apiDown('a:1', { annotations: { runbook_url: 'javascript:alert(1)' } })]);
    assert.doesNotMatch(scripted.raw, />Runbook</);
  });
});

describe('email', () => {
  test('subject: [SEVERITY] Samokoder <environment>/<region>: <alertname>, marked when resolved', () => {
    assert.equal(render('email.subject', [apiDown('a:1')], 'text'), '[CRITICAL] Samokoder: APIDown');
    assert.equal(render('email.subject', [apiDown('a:1', { status: 'resolved' })], 'text'), '[CRITICAL] Samokoder: APIDown (resolved)');
    assert.equal(render('email.subject', [{ labels: { alertname: 'HighCPUUsage', severity: 'warning' } }], 'text'), '[WARNING] Samokoder: HighCPUUsage');
    assert.equal(render('email.subject', [apiDown('a:1', { labels: { environment: 'production', region: 'eu-central' } })], 'text'), '[CRITICAL] Samokoder production/eu-central: APIDown');
  });

  test('both parts name the environment and region', () => {
    const alerts = [apiDown('a:1', { labels: { environment: 'staging', region: 'us-east' } })];
    assert.match(render('email.text', alerts, 'text'), /^FIRING: APIDown\nSeverity: CRITICAL\nComponent: api\nEnvironment: staging\nRegion: us-east\n/);
    assert.match(render('email.html', alerts, 'html'), /environment <b>staging<\/b> · region <b>us-east<\/b>/);
  });

  test('the plain-text part has every field of every alert', () => {
    const text = render('email.text', [apiDown('a:1'), apiDown('b:2', { status: 'resolved' })], 'text');
    assert.match(text, /^FIRING: APIDown\nSeverity: CRITICAL\nComponent: api\n/);
    assert.match(text, /Firing \(1\):\n- The Samokoder API is down\n  Instance: a:1\n  a:1 has not answered scrapes/);
    assert.match(text, /Resolved \(1\):\n- The Samokoder API is down\n  Instance: b:2/);
    assert.match(text, /Ended: 2024-05-01 10:07:00 UTC/);
    assert.ok(text.includes(`Runbook: ${RUNBOOK}`));
    assert.ok(text.includes(`Prometheus: ${SOURCE}`));
  });

  test('the HTML part escapes values and links to the runbook and Prometheus', () => {
    const html = render('email.html', [apiDown('a:1', { annotations: { summary: '<script>x</script>' } })], 'html');
    assert.match(html, /<h2[^>]*>🔥 CRITICAL: APIDown<\/h2>/);
    assert.ok(html.includes('&lt;script&gt;x&lt;/script&gt;'));
    assert.ok(!html.includes('<script>'));
    assert.ok(html.includes(`<a href="${RUNBOOK}">Runbook</a>`));
  });
});
