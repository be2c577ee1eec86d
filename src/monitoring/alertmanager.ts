/**
 * Renders Alertmanager's config from the template in `monitoring/alertmanager/` and the alerting
 * environment, and writes it where only its owner can read it.
 *
 * Alertmanager never expands `${VARS}` in its config, and 0.25 has no `bot_token_file`, so the
 * credentials are written into the rendered file itself: it is mode 0600, never logged, never
 * committed. What this module decides (channels on or off, where routes to a missing channel go)
 * is described at the top of the template, which owns the routing.
 *
 * It also reads Alertmanager configs back: the receivers and integrations of a running one (for
 * `doctor`), and the group_wait/group_interval of a severity's route (for the bounds the launcher
 * prints and the tests wait for).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { AlertingConfig } from '../config.ts';
import { OVERVIEW_UID, TEMPLATE_FILE } from './paths.ts';

/** Receiver names in the template; the routing tests and docs/alerting.md use them. */
export const RECEIVERS = { telegram: 'telegram', email: 'email', webhook: 'webhook', watchdog: 'watchdog' } as const;

/** The warning of a config without a dead-man's switch; `doctor` says the same of a running Alertmanager. */
export const DEADMAN_OFF =
  "The dead-man's switch is off (WATCHDOG_URL is not set): the always-firing Watchdog alert goes nowhere, so if Prometheus, its rules or the path to Alertmanager break, nobody is told.";

/** The time interval that ALERT_INFO_WORKING_HOURS switches on for the routes that name it. */
const WORKING_HOURS = 'working-hours';

/** Which outlets the rendered config sends to. `webhook` is on only when no channel is. */
export interface Channels {
  telegram: boolean;
  email: boolean;
  webhook: boolean;
}

/** The rendered config. `yaml` holds secrets: write it with `writePrivateFile` (src/private-file.ts), never print it. */
export interface RenderedConfig {
  yaml: string;
  channels: Channels;
  /** One line each, naming variables, never their values. */
  warnings: string[];
}

export interface RenderOptions {
  /** Absolute directory of the `*.tmpl` files as Alertmanager will see it. */
  templatesDir: string;
}

interface Route {
  receiver?: string;
  matchers?: string[];
  routes?: Route[];
  active_time_intervals?: string[];
  [key: string]: unknown;
}

interface Receiver {
  name: string;
  [key: string]: unknown;
}

interface TemplateDoc {
  route: Route;
  receivers: Receiver[];
  time_intervals?: Array<{ name: string; time_intervals: Array<Record<string, unknown>> }>;
  [key: string]: unknown;
}

const HEADER = [
  '# Rendered by `npm run samokoder -- render-config` from monitoring/alertmanager/alertmanager.template.yml.',
  '# It holds credentials: keep it mode 0600, never print or commit it. Change the template, not this file.',
  '',
].join('\n');

/** Whether a channel is complete; a warning names the missing variables when it is half set. */
function channelState(label: string, config: AlertingConfig, vars: (keyof AlertingConfig)[], required: (keyof AlertingConfig)[]): { on: boolean; warning?: string } {
  if (vars.every((name) => config[name] === undefined)) return { on: false };
  const unset = required.filter((name) => config[name] === undefined);
  if (unset.length === 0) return { on: true };
  return { on: false, warning: `${label} left out: ${unset.join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set (some ${label} variables are).` };
}

/** Alertmanager speaks implicit TLS (TLS from the first byte) on this port only. */
export const IMPLICIT_TLS_PORT = 465;

/**
 * How Alertmanager reaches the SMTP server: `tls` whether the connection is TLS at all, and the
 * `require_tls` to render. On port 465 Alertmanager dials TLS itself, yet with `require_tls` it
 * still asks the server for STARTTLS, which an implicit-TLS server does not offer (0.25 to 0.27):
 * there the connection is TLS already and `require_tls` must be off. Elsewhere `require_tls` false
 * means plain SMTP: Alertmanager never uses STARTTLS then.
 */
function emailTransport(config: AlertingConfig): { requireTls: boolean; tls: boolean } {
  if (config.SMTP_PORT === IMPLICIT_TLS_PORT) return { requireTls: false, tls: true };
  return { requireTls: config.SMTP_REQUIRE_TLS, tls: config.SMTP_REQUIRE_TLS };
}

/** Warnings (naming variables only) for email settings that send in clear text or ignore the CA. */
function emailTransportWarnings(config: AlertingConfig): string[] {
  if (emailTransport(config).tls) return [];
  return [
    ...(config.SMTP_PASS !== undefined ? ['SMTP_REQUIRE_TLS=false: Alertmanager sends SMTP_PASS and every mail to SMTP_HOST in clear text (it never uses STARTTLS then).'] : []),
    ...(config.SMTP_CA_FILE !== undefined ? ['SMTP_CA_FILE is set but unused: SMTP_REQUIRE_TLS=false turns TLS off.'] : []),
  ];
}

function emailRequired(config: AlertingConfig): (keyof AlertingConfig)[] {
  const required: (keyof AlertingConfig)[] = ['ALERT_EMAIL', 'SMTP_HOST'];
  // Authentication is optional (a local relay), but a user without a password is a mistake.
  if (config.SMTP_USER !== undefined || config.SMTP_PASS !== undefined) required.push('SMTP_USER', 'SMTP_PASS');
  return required;
}

/**
 * Rewrites one route for the channels that are on. A fan-out child (no matchers) to a missing
 * channel is dropped; any other route to it, or a route left without children, goes to `fallback`.
 */
function rewriteRoute(route: Route, fanOutChild: boolean, usable: Set<string>, fallback: string, workingHours: boolean): Route | undefined {
  if (route.receiver !== undefined && !usable.has(route.receiver) && fanOutChild) return undefined;
  const out: Route = { ...route };
  if (out.receiver !== undefined && !usable.has(out.receiver)) out.receiver = fallback;
  if (route.routes) {
    const children = route.routes
      .map((child) => rewriteRoute(child, child.matchers === undefined, usable, fallback, workingHours))
      .filter((child): child is Route => child !== undefined);
    if (children.length > 0) {
      out.routes = children;
    } else {
      delete out.routes;
      out.receiver = fallback;
    }
  }
  if (!workingHours && out.active_time_intervals) {
    const kept = out.active_time_intervals.filter((name) => name !== WORKING_HOURS);
    if (kept.length > 0) out.active_time_intervals = kept;
    else delete out.active_time_intervals;
  }
  return out;
}

function receiversIn(route: Route, into = new Set<string>()): Set<string> {
  if (route.receiver !== undefined) into.add(route.receiver);
  for (const child of route.routes ?? []) receiversIn(child, into);
  return into;
}

/**
 * The Go template definitions the message templates take from the environment (common.tmpl names
 * them): `samokoder.dashboard_url`, DASHBOARD_URL's Samokoder Overview, which every dashboard link
 * opens. Alertmanager parses each message field together with the template files, so a field that
 * starts with these definitions has them.
 */
export function messageDefinitions(config: AlertingConfig): string {
  // A JSON string is a Go string literal; DASHBOARD_URL holds no character either would escape.
  return `{{ define "samokoder.dashboard_url" }}{{ ${JSON.stringify(`${config.DASHBOARD_URL}/d/${OVERVIEW_UID}`)} }}{{ end }}`;
}

/** `entry` with {@link messageDefinitions} in front of each of its templated fields. */
function withDefinitions(entry: Record<string, unknown>, config: AlertingConfig): Record<string, unknown> {
  const definitions = messageDefinitions(config);
  return Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, typeof value === 'string' && value.includes('{{') ? definitions + value : value]));
}

/** The single `<kind>` entry of a template receiver, to be completed with credentials. */
function onlyConfig(receiver: Receiver, kind: string): Record<string, unknown> {
  const list = receiver[kind];
  if (!Array.isArray(list) || list.length !== 1) {
    throw new Error(`alertmanager template: receiver '${receiver.name}' must have exactly one ${kind} entry`);
  }
  return list[0] as Record<string, unknown>;
}

/** The template's receiver `name` with this environment's credentials filled in. */
function completeReceiver(template: Receiver, config: AlertingConfig): Receiver {
  const name = template.name;
  switch (name) {
    case RECEIVERS.telegram:
      return {
        name,
        telegram_configs: [
          {
            // telebot appends `/bot<token>/<method>`: a trailing slash would double it.
            api_url: config.TELEGRAM_API_URL.replace(/\/+$/, ''),
            bot_token: config.TELEGRAM_BOT_TOKEN,
            // An int64 in YAML; BigInt keeps ids beyond 2^53 exact.
            chat_id: BigInt(config.TELEGRAM_CHAT_ID as string),
            ...withDefinitions(onlyConfig(template, 'telegram_configs'), config),
          },
        ],
      };
    case RECEIVERS.email: {
      const userIsAddress = config.SMTP_USER !== undefined && config.SMTP_USER.includes('@');
      const { requireTls, tls } = emailTransport(config);
      return {
        name,
        email_configs: [
          {
            to: config.ALERT_EMAIL,
            from: config.SMTP_FROM ?? (userIsAddress ? config.SMTP_USER : config.ALERT_EMAIL),
            smarthost: `${config.SMTP_HOST}:${config.SMTP_PORT}`, // an IPv6 SMTP_HOST keeps its brackets
            ...(config.SMTP_USER !== undefined ? { auth_username: config.SMTP_USER, auth_password: config.SMTP_PASS } : {}),
            require_tls: requireTls,
            ...(tls
              ? {
                  tls_config: {
                    ...(config.SMTP_CA_FILE !== undefined ? { ca_file: resolve(config.SMTP_CA_FILE) } : {}),
                    server_name: (config.SMTP_HOST as string).replace(/^\[(.*)\]$/, '$1'),
                  },
                }
              : {}),
            ...withDefinitions(onlyConfig(template, 'email_configs'), config),
          },
        ],
      };
    }
    case RECEIVERS.webhook:
      return { name, webhook_configs: [{ url: config.ALERT_WEBHOOK_URL, ...onlyConfig(template, 'webhook_configs') }] };
    case RECEIVERS.watchdog:
      // Without a dead-man's switch the receiver has no integration: Watchdog is dropped.
      return config.WATCHDOG_URL ? { name, webhook_configs: [{ url: config.WATCHDOG_URL, send_resolved: false }] } : { name };
    default:
      return template;
  }
}

/**
 * Renders the final `alertmanager.yml` for `config` (parse it with `parseEnv(alertingSchema, env)`).
 * Pure apart from reading the repository's template.
 */
export function renderAlertmanagerConfig(config: AlertingConfig, options: RenderOptions): RenderedConfig {
  if (!isAbsolute(options.templatesDir)) throw new Error(`templatesDir must be an absolute path, got '${options.templatesDir}'`);
  const doc = parse(readFileSync(TEMPLATE_FILE, 'utf8')) as TemplateDoc;

  const warnings: string[] = [];
  const telegram = channelState('Telegram', config, ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_CHAT_ID'], ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_CHAT_ID']);
  const email = channelState('Email', config, ['ALERT_EMAIL', 'SMTP_HOST', 'SMTP_USER', 'SMTP_PASS', 'SMTP_FROM'], emailRequired(config));
  for (const state of [telegram, email]) if (state.warning) warnings.push(state.warning);
  if (email.on) warnings.push(...emailTransportWarnings(config));

  const on: string[] = [];
  if (telegram.on) on.push(RECEIVERS.telegram);
  if (email.on) on.push(RECEIVERS.email);
  const fallback = on[0] ?? RECEIVERS.webhook;
  if (on.length === 0) {
    warnings.push('No alert channel is configured (TELEGRAM_BOT_TOKEN with TELEGRAM_CHAT_ID, or ALERT_EMAIL with SMTP_HOST): every alert goes to the webhook at ALERT_WEBHOOK_URL.');
  }
  if (!config.WATCHDOG_URL) warnings.push(DEADMAN_OFF);

  const route = rewriteRoute(doc.route, false, new Set<string>([...on, RECEIVERS.watchdog]), fallback, config.ALERT_INFO_WORKING_HOURS) as Route;
  const used = receiversIn(route);
  const receivers = doc.receivers.filter((r) => used.has(r.name)).map((r) => completeReceiver(r, config));

  for (const interval of doc.time_intervals ?? []) {
    for (const period of interval.time_intervals) period.location = config.ALERT_TIMEZONE;
  }

  const rendered = { ...doc, templates: [join(options.templatesDir, '*.tmpl')], route, receivers };
  return {
    yaml: HEADER + stringify(rendered, { version: '1.1', lineWidth: 0 }),
    channels: { telegram: telegram.on, email: email.on, webhook: used.has(RECEIVERS.webhook) },
    warnings,
  };
}

/** A receiver of Alertmanager's loaded config with the integrations it sends through. */
export interface ReceiverInfo {
  name: string;
  integrations: string[];
}

/** Receivers of the config Alertmanager runs (its /api/v2/status, secrets masked by Alertmanager). */
export function receiversOf(status: { config: { original: string } }): ReceiverInfo[] {
  const doc = parse(status.config.original) as { receivers?: Array<Record<string, unknown>> };
  return (doc.receivers ?? []).map((r) => ({
    name: String(r.name),
    integrations: Object.keys(r)
      .filter((k) => k.endsWith('_configs') && Array.isArray(r[k]) && (r[k] as unknown[]).length > 0)
      .map((k) => k.replace(/_configs$/, '')),
  }));
}

interface RouteTimings {
  matchers?: string[];
  group_wait?: string;
  group_interval?: string;
  routes?: RouteTimings[];
}

/**
 * group_wait and group_interval (as written, e.g. `10s`) of the top-level route matching
 * `severity="<severity>"` in an Alertmanager config, falling back to the root route's, then to
 * Alertmanager's defaults (30s, 5m).
 */
export function severityTimings(configYaml: string, severity: string): { groupWait: string; groupInterval: string } {
  const doc = parse(configYaml, { intAsBigInt: true }) as { route: RouteTimings };
  const route = doc.route.routes?.find((r) => r.matchers?.includes(`severity="${severity}"`));
  return {
    groupWait: route?.group_wait ?? doc.route.group_wait ?? '30s',
    groupInterval: route?.group_interval ?? doc.route.group_interval ?? '5m',
  };
}
