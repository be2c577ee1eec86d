// The Alertmanager config renderer: every channel combination gives a file the real amtool
// accepts, half-configured channels are left out with a warning, bad values are refused by name,
// secrets stay in the 0600 file and nowhere else, and the committed template holds none. Email
// goes over STARTTLS (or implicit TLS on 465) verified against SMTP_CA_FILE or the system roots.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { ALERTMANAGER_DIR, TEMPLATE_FILE, TEMPLATES_DIR, OVERVIEW_UID } from '../../src/monitoring/paths.ts';
import { DEADMAN_OFF, renderAlertmanagerConfig } from '../../src/monitoring/alertmanager.ts';
import { renderConfigCommand } from '../../src/cli/render-config.ts';
import { alertingSchema, ConfigError, DASHBOARD_URL_MAX, LOCAL_DASHBOARD_URL, parseEnv } from '../../src/config.ts';
import { amtool, EMAIL_ENV, renderTo, SECRETS, TELEGRAM_ENV, VARIANTS, type Variant } from '../support/alertmanager-config.ts';
import { tempDir } from '../support/services.ts';
import { createTestCa } from '../support/test-ca.ts';

const dir = tempDir('am-render');
const ca = createTestCa();
after(() => {
  dir.remove();
  ca.remove();
});

const receiverNames = (yaml: string) => (parse(yaml).receivers as Array<{ name: string }>).map((r) => r.name).sort();

describe('every channel combination renders a config amtool accepts', () => {
  const expected: Record<Variant, { channels: object; receivers: string[] }> = {
    none: { channels: { telegram: false, email: false, webhook: true }, receivers: ['watchdog', 'webhook'] },
    telegram: { channels: { telegram: true, email: false, webhook: false }, receivers: ['telegram', 'watchdog'] },
    email: { channels: { telegram: false, email: true, webhook: false }, receivers: ['email', 'watchdog'] },
    both: { channels: { telegram: true, email: true, webhook: false }, receivers: ['email', 'telegram', 'watchdog'] },
  };
  for (const [name, env] of Object.entries(VARIANTS) as Array<[Variant, Record<string, string>]>) {
    test(name, () => {
      const rendered = renderTo(dir.path, name, env);
      assert.deepEqual(rendered.channels, expected[name].channels);
      assert.deepEqual(receiverNames(rendered.yaml), expected[name].receivers);
      const check = amtool(['check-config', rendered.file]);
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /SUCCESS/);
    });
  }

  test('with working hours in a time zone, a dead-man switch and a self-hosted Bot API', () => {
    const rendered = renderTo(dir.path, 'options', {
      ...VARIANTS.both,
      ALERT_INFO_WORKING_HOURS: 'true',
      ALERT_TIMEZONE: 'Europe/Moscow',
      WATCHDOG_URL: 'https://hc-ping.example.com/abc',
      TELEGRAM_API_URL: 'http://127.0.0.1:8081/',
    });
    const check = amtool(['check-config', rendered.file]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const doc = parse(rendered.yaml);
    const info = doc.route.routes.find((r: { matchers?: string[] }) => r.matchers?.includes('severity="info"'));
    assert.deepEqual(info.active_time_intervals, ['working-hours']);
    assert.equal(doc.time_intervals[0].time_intervals[0].location, 'Europe/Moscow');
    const watchdog = doc.receivers.find((r: { name: string }) => r.name === 'watchdog');
    assert.equal(watchdog.webhook_configs[0].url, 'https://hc-ping.example.com/abc');
    assert.deepEqual(rendered.warnings, [], 'a complete config with a dead-man switch warns of nothing');
    const telegram = doc.receivers.find((r: { name: string }) => r.name === 'telegram');
    assert.equal(telegram.telegram_configs[0].api_url, 'http://127.0.0.1:8081', 'no trailing slash: telebot appends /bot<token>');
  });

  test('without ALERT_INFO_WORKING_HOURS info alerts notify at any hour', () => {
    const doc = parse(renderTo(dir.path, 'any-hour', VARIANTS.telegram).yaml);
    const withIntervals = JSON.stringify(doc.route).includes('active_time_intervals');
    assert.equal(withIntervals, false);
  });

  test('the templates path is the absolute one the caller gives (compose mounts them elsewhere)', () => {
    const rendered = renderAlertmanagerConfig(parseEnv(alertingSchema, {}), { templatesDir: '/etc/alertmanager/templates' });
    assert.deepEqual(parse(rendered.yaml).templates, ['/etc/alertmanager/templates/*.tmpl']);
    assert.throws(() => renderAlertmanagerConfig(parseEnv(alertingSchema, {}), { templatesDir: 'monitoring/alertmanager/templates' }), /absolute/);
  });

  test('every message field opens with the dashboard link\'s target: DASHBOARD_URL\'s overview, the local viewer by default', () => {
    const fields = (env: Record<string, string>) => {
      const doc = parse(renderTo(dir.path, 'dashboard', { ...VARIANTS.both, ...env }).yaml);
      const telegram = doc.receivers.find((r: { name: string }) => r.name === 'telegram').telegram_configs[0];
      const email = doc.receivers.find((r: { name: string }) => r.name === 'email').email_configs[0];
      return { message: telegram.message, html: email.html, text: email.text, subject: email.headers.Subject };
    };
    const definition = (url: string) => `{{ define "samokoder.dashboard_url" }}{{ "${url}/d/${OVERVIEW_UID}" }}{{ end }}`;
    const set = fields({ DASHBOARD_URL: 'https://Monitoring.Example.com/' });
    for (const field of ['message', 'html', 'text'] as const) assert.ok(set[field].startsWith(`${definition('https://monitoring.example.com')}{{ template `), `${field}: ${set[field]}`);
    assert.equal(set.subject, '{{ template "email.subject" . }}', 'the subject has no link');
    assert.ok(fields({}).message.startsWith(definition(LOCAL_DASHBOARD_URL)));
    assert.ok(fields({ DASHBOARD_URL: '' }).html.startsWith(definition(LOCAL_DASHBOARD_URL)));
  });

  test('a chat id beyond 2^53 is written exactly, as an integer', () => {
    const chatId = '-1009007199254740993';
    const rendered = renderTo(dir.path, 'big-chat', { ...TELEGRAM_ENV, TELEGRAM_CHAT_ID: chatId });
    assert.match(rendered.yaml, new RegExp(`chat_id: ${chatId}\\n`));
    assert.equal(amtool(['check-config', rendered.file]).status, 0);
  });
});

describe('half-configured channels', () => {
  test('Telegram without a chat id is left out with a warning naming the variable', () => {
    const rendered = renderTo(dir.path, 'half-telegram', { TELEGRAM_BOT_TOKEN: SECRETS.TELEGRAM_BOT_TOKEN, ...EMAIL_ENV });
    assert.deepEqual(rendered.channels, { telegram: false, email: true, webhook: false });
    assert.ok(rendered.warnings.some((w) => w.includes('Telegram') && w.includes('TELEGRAM_CHAT_ID')), rendered.warnings.join('\n'));
    assert.deepEqual(receiverNames(rendered.yaml), ['email', 'watchdog']);
    assert.equal(amtool(['check-config', rendered.file]).status, 0);
  });

  test('email without a host, or with a user but no password, is left out with a warning', () => {
    const noHost = renderTo(dir.path, 'half-email', { ...TELEGRAM_ENV, ...EMAIL_ENV, SMTP_HOST: '' });
    assert.equal(noHost.channels.email, false);
    assert.ok(noHost.warnings.some((w) => w.includes('SMTP_HOST')), noHost.warnings.join('\n'));
    const noPass = renderTo(dir.path, 'half-email-auth', { ...TELEGRAM_ENV, ...EMAIL_ENV, SMTP_PASS: '' });
    assert.equal(noPass.channels.email, false);
    assert.ok(noPass.warnings.some((w) => w.includes('SMTP_PASS')), noPass.warnings.join('\n'));
    for (const r of [noHost, noPass]) assert.equal(amtool(['check-config', r.file]).status, 0);
  });

  test('without WATCHDOG_URL the heartbeat goes nowhere, and the renderer says so', () => {
    const rendered = renderTo(dir.path, 'no-deadman', VARIANTS.telegram);
    assert.deepEqual(rendered.warnings, [DEADMAN_OFF]);
    assert.match(DEADMAN_OFF, /WATCHDOG_URL/);
    assert.deepEqual(parse(rendered.yaml).receivers.find((r: { name: string }) => r.name === 'watchdog'), { name: 'watchdog' });
  });

  test('email without authentication (a local relay) is complete', () => {
    const rendered = renderTo(dir.path, 'relay', { ALERT_EMAIL: 'oncall@example.com', SMTP_HOST: 'localhost', SMTP_PORT: '25', SMTP_REQUIRE_TLS: 'false' });
    assert.deepEqual(rendered.warnings, [DEADMAN_OFF]);
    const email = parse(rendered.yaml).receivers.find((r: { name: string }) => r.name === 'email').email_configs[0];
    assert.equal(email.smarthost, 'localhost:25');
    assert.equal(email.require_tls, false);
    assert.equal(email.auth_username, undefined);
    assert.ok(email.text.endsWith('{{ template "email.text" . }}'), 'a plain-text part as well as HTML');
  });

  test('no channel at all: a warning, and everything goes to the webhook', () => {
    const rendered = renderTo(dir.path, 'nothing', {});
    assert.ok(rendered.warnings.some((w) => w.includes('ALERT_WEBHOOK_URL')), rendered.warnings.join('\n'));
    assert.equal(parse(rendered.yaml).receivers.find((r: { name: string }) => r.name === 'webhook').webhook_configs[0].url, 'http://127.0.0.1:9097/alerts');
  });
});

describe('email transport: STARTTLS, implicit TLS, the CA', () => {
  const emailConfig = (yaml: string) => parse(yaml).receivers.find((r: { name: string }) => r.name === 'email').email_configs[0];

  test('port 587 with SMTP_CA_FILE: STARTTLS required, the CA and the host name to verify', () => {
    const rendered = renderTo(dir.path, 'starttls-ca', { ...EMAIL_ENV, SMTP_CA_FILE: ca.caFile });
    const email = emailConfig(rendered.yaml);
    assert.equal(email.require_tls, true);
    assert.deepEqual(email.tls_config, { ca_file: ca.caFile, server_name: 'smtp.example.com' });
    assert.deepEqual(rendered.warnings, [DEADMAN_OFF], 'no email warning');
    const check = amtool(['check-config', rendered.file]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  test('without SMTP_CA_FILE the system roots verify the server (no ca_file); a relative path becomes absolute', () => {
    assert.deepEqual(emailConfig(renderTo(dir.path, 'starttls', EMAIL_ENV).yaml).tls_config, { server_name: 'smtp.example.com' });
    const relativePath = relative(process.cwd(), ca.caFile);
    assert.equal(emailConfig(renderTo(dir.path, 'relative-ca', { ...EMAIL_ENV, SMTP_CA_FILE: relativePath }).yaml).tls_config.ca_file, ca.caFile);
  });

  test('port 465: implicit TLS with the CA, and require_tls off (Alertmanager would ask an implicit-TLS server for STARTTLS)', () => {
    const rendered = renderTo(dir.path, 'implicit', { ...EMAIL_ENV, SMTP_PORT: '465', SMTP_CA_FILE: ca.caFile });
    const email = emailConfig(rendered.yaml);
    assert.equal(email.smarthost, 'smtp.example.com:465');
    assert.equal(email.require_tls, false);
    assert.deepEqual(email.tls_config, { ca_file: ca.caFile, server_name: 'smtp.example.com' });
    assert.equal(amtool(['check-config', rendered.file]).status, 0);
  });

  test('an IPv6 host keeps its brackets in smarthost, not in server_name', () => {
    const email = emailConfig(renderTo(dir.path, 'ipv6', { ...EMAIL_ENV, SMTP_HOST: '[::1]' }).yaml);
    assert.deepEqual([email.smarthost, email.tls_config.server_name], ['[::1]:587', '::1']);
  });

  test('SMTP_REQUIRE_TLS=false: plain SMTP, no tls_config, and warnings that the password goes in clear text and the CA is unused', () => {
    const rendered = renderTo(dir.path, 'plain', { ...EMAIL_ENV, SMTP_REQUIRE_TLS: 'false', SMTP_CA_FILE: ca.caFile });
    const email = emailConfig(rendered.yaml);
    assert.equal(email.require_tls, false);
    assert.equal(email.tls_config, undefined);
    assert.deepEqual(rendered.warnings, [
      'SMTP_REQUIRE_TLS=false: Alertmanager sends SMTP_PASS and every mail to SMTP_HOST in clear text (it never uses STARTTLS then).',
      'SMTP_CA_FILE is set but unused: SMTP_REQUIRE_TLS=false turns TLS off.',
      DEADMAN_OFF,
    ]);
  });

  test('an unusable SMTP_CA_FILE is one line naming the variable and the reason, never the path or the content', () => {
    const files = join(dir.path, 'ca-files');
    mkdirSync(files);
    const key = join(files, 'server.key');
    writeFileSync(key, ca.key);
    const corrupt = join(files, 'corrupt.pem');
    writeFileSync(corrupt, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    const cases: Array<[string, RegExp]> = [
      [join(files, 'missing.pem'), /^Invalid configuration: SMTP_CA_FILE must be a readable PEM file of CA certificates \(cannot read it: ENOENT\)$/],
      [files, /\(cannot read it: EISDIR\)$/],
      [key, /\(it holds no PEM certificate\)$/],
      [corrupt, /\(a certificate in it does not parse\)$/],
    ];
    for (const [path, expected] of cases) {
      assert.throws(
        () => parseEnv(alertingSchema, { ...EMAIL_ENV, SMTP_CA_FILE: path }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, expected);
          assert.ok(!err.message.includes(path) && !err.message.includes('PRIVATE KEY'), err.message);
          return true;
        },
      );
    }
  });
});

describe('invalid values are refused, naming the variable and not the value', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['TELEGRAM_CHAT_ID', { ...TELEGRAM_ENV, TELEGRAM_CHAT_ID: '@mychannel' }],
    ['TELEGRAM_CHAT_ID', { ...TELEGRAM_ENV, TELEGRAM_CHAT_ID: '99999999999999999999' }],
    ['TELEGRAM_BOT_TOKEN', { ...TELEGRAM_ENV, TELEGRAM_BOT_TOKEN: '${TELEGRAM_BOT_TOKEN}' }],
    ['SMTP_PORT', { ...EMAIL_ENV, SMTP_PORT: 'five-eight-seven' }],
    ['SMTP_PORT', { ...EMAIL_ENV, SMTP_PORT: '70000' }],
    ['ALERT_EMAIL', { ...EMAIL_ENV, ALERT_EMAIL: 'oncall-at-example.com' }],
    ['SMTP_FROM', { ...EMAIL_ENV, SMTP_FROM: 'not an address' }],
    ['SMTP_HOST', { ...EMAIL_ENV, SMTP_HOST: 'smtp.gmail.com:587' }],
    ['SMTP_REQUIRE_TLS', { ...EMAIL_ENV, SMTP_REQUIRE_TLS: 'maybe' }],
    ['ALERT_TIMEZONE', { ALERT_TIMEZONE: 'Mars/Olympus_Mons' }],
    ['TELEGRAM_API_URL', { TELEGRAM_API_URL: 'api.telegram.org' }],
    // In every message: never a password, never a query of its own (the links add from/to).
    ['DASHBOARD_URL', { DASHBOARD_URL: 'https://admin:s3cret@grafana.example.com' }],
    ['DASHBOARD_URL', { DASHBOARD_URL: 'https://grafana.example.com/?orgId=1' }],
    ['DASHBOARD_URL', { DASHBOARD_URL: 'grafana.example.com' }],
    ['DASHBOARD_URL', { DASHBOARD_URL: `https://grafana.example.com/${'x'.repeat(DASHBOARD_URL_MAX)}` }],
  ];
  for (const [variable, env] of cases) {
    test(`${variable}=${JSON.stringify(env[variable])}`, () => {
      assert.throws(
        () => parseEnv(alertingSchema, env),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, new RegExp(`\\b${variable}\\b`));
          assert.ok(!err.message.includes(env[variable] as string), `the message repeats the value: ${err.message}`);
          return true;
        },
      );
    });
  }
});

describe('secrets', () => {
  test('are in the rendered file only, never in warnings', () => {
    const halfBoth = { TELEGRAM_BOT_TOKEN: SECRETS.TELEGRAM_BOT_TOKEN, SMTP_USER: 'u@example.com', SMTP_PASS: SECRETS.SMTP_PASS };
    const rendered = renderTo(dir.path, 'half-both', halfBoth);
    assert.ok(rendered.warnings.length >= 2);
    const full = renderTo(dir.path, 'full', VARIANTS.both);
    for (const secret of Object.values(SECRETS)) {
      assert.ok(!rendered.warnings.join('\n').includes(secret));
      assert.ok(full.yaml.includes(secret), 'Alertmanager 0.25 has no bot_token_file: the file must carry them');
    }
  });

  test('the committed template and message templates hold no secret-looking value', () => {
    const files = [TEMPLATE_FILE, ...readdirSync(TEMPLATES_DIR).map((f) => join(TEMPLATES_DIR, f))];
    assert.ok(files.length >= 4);
    for (const file of files) {
      // YAML comments may talk about variables; the content may not hold them.
      const text = readFileSync(file, 'utf8').replace(/^\s*#.*$/gm, '');
      assert.ok(!/[0-9]{5,}:[A-Za-z0-9_-]{20,}/.test(text), `${file}: a bot token`);
      assert.ok(!/\$\{?[A-Z_]+\}?/.test(text), `${file}: a \${VAR} placeholder Alertmanager would not expand`);
      const field = /^\s*-?\s*(bot_token|chat_id|auth_password|auth_username|auth_secret|smarthost|to|from|api_url|url):/m.exec(text);
      assert.equal(field, null, `${file}: a credential field`);
    }
    // Only the rendered file may be loadable; a file with the name the hooks check is not kept here.
    assert.ok(!readdirSync(ALERTMANAGER_DIR).includes('alertmanager.yml'));
  });
});

describe('render-config command', () => {
  const capture = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, output: { out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) } };
  };

  test('writes the file, names the active channels and warnings, never the secrets', async () => {
    const { lines, output } = capture();
    const out = join(dir.path, 'cli', 'alertmanager.yml');
    const code = await renderConfigCommand(['--out', out], { ...TELEGRAM_ENV, SMTP_USER: 'u@example.com', SMTP_PASS: SECRETS.SMTP_PASS }, output);
    assert.equal(code, 0);
    assert.match(lines.out.join('\n'), /telegram on, email off, webhook off/);
    assert.match(lines.err.join('\n'), /warning: Email left out: ALERT_EMAIL, SMTP_HOST/);
    const printed = [...lines.out, ...lines.err].join('\n');
    for (const secret of Object.values(SECRETS)) assert.ok(!printed.includes(secret));
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.equal(amtool(['check-config', out]).status, 0);
  });

  test('defaults to $DATA_DIR/alertmanager/alertmanager.yml and this checkout\'s templates', async () => {
    const { output, lines } = capture();
    assert.equal(await renderConfigCommand([], { DATA_DIR: join(dir.path, 'data') }, output), 0);
    const file = join(dir.path, 'data', 'alertmanager', 'alertmanager.yml');
    assert.deepEqual(parse(readFileSync(file, 'utf8')).templates, [join(TEMPLATES_DIR, '*.tmpl')]);
    assert.match(lines.out[0] ?? '', /alertmanager\.yml/);
  });

  test('--templates takes a directory for where Alertmanager runs (resolved to absolute)', async () => {
    const out = join(dir.path, 'compose.yml');
    assert.equal(await renderConfigCommand(['--out', out, '--templates', '/etc/alertmanager/templates'], {}, capture().output), 0);
    assert.deepEqual(parse(readFileSync(out, 'utf8')).templates, ['/etc/alertmanager/templates/*.tmpl']);
  });

  test('exit 1 on an invalid variable (named), 2 on bad usage, 1 when the file cannot be written', async () => {
    const bad = capture();
    assert.equal(await renderConfigCommand(['--out', join(dir.path, 'x.yml')], { TELEGRAM_CHAT_ID: 'abc' }, bad.output), 1);
    assert.match(bad.lines.err.join('\n'), /TELEGRAM_CHAT_ID/);
    const usage = capture();
    assert.equal(await renderConfigCommand(['--output', 'x'], {}, usage.output), 2);
    assert.match(usage.lines.err.join('\n'), /Usage: render-config/);
    const blocked = join(dir.path, 'blocked');
    writeFileSync(blocked, 'a file where a directory should be');
    const io = capture();
    assert.equal(await renderConfigCommand(['--out', join(blocked, 'alertmanager.yml')], {}, io.output), 1);
    assert.match(io.lines.err.join('\n'), /could not write/);
  });
});
