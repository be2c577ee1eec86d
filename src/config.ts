/**
 * The environment schema: every variable any part of Samokoder reads, validated once.
 *
 * It is split into sections because different processes need different parts: the API needs
 * `api`, the Alertmanager renderer needs `alerting`, the stack launcher needs `stack`, compose's
 * secret renderer `composeSecrets`. Each section is still defined here only; `.env.example` is
 * checked against {@link allEnvKeys}.
 * Errors name the variable and what is expected, never the value (it may be a secret).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LLM_PROVIDERS } from './domain.ts';

const port = z.coerce
  .number({ invalid_type_error: 'a TCP port number (1-65535)' })
  .int('a TCP port number (1-65535)')
  .min(1, 'a TCP port number (1-65535)')
  .max(65535, 'a TCP port number (1-65535)');

const positiveInt = z.coerce.number({ invalid_type_error: 'a positive integer' }).int('a positive integer').positive('a positive integer');

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { errorMap: () => ({ message: 'true or false' }) })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

/** Prometheus duration as its flags accept it, e.g. `7d`, `30d`, `12h`. */
const promDuration = z.string().regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, 'a Prometheus duration such as 7d or 30d');
/** Prometheus size as `--storage.tsdb.retention.size` accepts it, e.g. `5GB`. */
const promSize = z.string().regex(/^[0-9]+(B|KB|MB|GB|TB|PB|EB)$/, 'a size such as 512MB or 5GB');

const email = z.string().email('an email address');

/** Why the file at `path` is not a PEM bundle of certificates, or undefined when it is one. */
function certificateBundleProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  const certificates = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (certificates.length === 0) return 'it holds no PEM certificate';
  for (const pem of certificates) {
    try {
      new X509Certificate(pem);
    } catch {
      return 'a certificate in it does not parse';
    }
  }
  return undefined;
}

/** Telegram chat ids are signed 64-bit integers (Alertmanager's `chat_id` is an int64). */
function isInt64(v: string): boolean {
  return /^-?[0-9]{1,19}$/.test(v) && BigInt(v) >= -(2n ** 63n) && BigInt(v) < 2n ** 63n && BigInt(v) !== 0n;
}

/** An IANA zone name such as Europe/Moscow, for Alertmanager's time intervals (Go's time.LoadLocation). */
function isTimeZone(v: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(v)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

/** The longest DASHBOARD_URL: the Telegram message reserves this much for it in every dashboard link (templates/telegram.tmpl). */
export const DASHBOARD_URL_MAX = 100;

/** The local dashboard viewer's port unless DASHBOARD_PORT says otherwise (Grafana's, as in compose). */
const DEFAULT_DASHBOARD_PORT = 3000;

/** The dashboards alert messages link to when DASHBOARD_URL is unset: the local stack's viewer on its default port. */
export const LOCAL_DASHBOARD_URL = `http://127.0.0.1:${DEFAULT_DASHBOARD_PORT}`;

/**
 * DASHBOARD_URL as messages use it (no trailing slash), or undefined when it is not a plain
 * http(s) base: a host and an optional path, no credentials (the link is in every message), no
 * query or fragment (the links add theirs), only characters no link escapes, at most
 * {@link DASHBOARD_URL_MAX} characters.
 */
function linkBase(v: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    return undefined;
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash || v.includes('?') || v.includes('#')) return undefined;
  const base = parsed.href.replace(/\/+$/, '');
  const plain = /^https?:\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]+)?(\/[A-Za-z0-9._~%-]+)*$/.test(base);
  return plain && base.length <= DASHBOARD_URL_MAX ? base : undefined;
}

/** Variables the API process reads. */
export const apiSchema = z.object({
  SAMOKODER_ENV: z.enum(['development', 'production', 'test']).default('development'),
  API_HOST: z.string().ip({ message: 'an IP address to listen on, e.g. 127.0.0.1' }).default('127.0.0.1'),
  API_PORT: port.default(8000),
  /** Behind nginx: take the client address from X-Forwarded-For (rate limits are per IP). */
  TRUST_PROXY: booleanFlag.default('false'),
  /** A request (headers and body) must arrive within this time, or its connection is closed (slow clients). */
  REQUEST_TIMEOUT_MS: positiveInt.default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DB_POOL_MAX: positiveInt.default(10),
  DB_TIMEOUT_MS: positiveInt.default(5000),
  REDIS_URL: url(['redis:', 'rediss:']),
  REDIS_TIMEOUT_MS: positiveInt.default(1000),
  JWT_SECRET: z.string().min(32, 'at least 32 characters of random text'),
  JWT_TTL_SECONDS: positiveInt.default(900),
  METRICS_TOKEN: optionalText,
  /** Enables the operator routes under /api/v1/admin (simulator knobs) for this Bearer token. */
  ADMIN_TOKEN: optionalText.refine((v) => v === undefined || v.length >= 16, 'at least 16 characters'),
  LLM_PROVIDER: z.union([z.enum(LLM_PROVIDERS), z.literal('')]).optional().transform((v) => v || undefined),
  LLM_API_KEY: optionalText,
  LLM_BASE_URL: z.union([url(['http:', 'https:']), z.literal('')]).optional().transform((v) => v || undefined),
  LLM_MODEL: optionalText,
  LLM_TIMEOUT_MS: positiveInt.default(60_000),
  LLM_MAX_RETRIES: z.coerce.number({ invalid_type_error: 'an integer from 0 to 10' }).int().min(0).max(10).default(2),
  LLM_TOKEN_BUDGET_PER_HOUR: positiveInt.default(1_000_000),
  SIMULATOR_LATENCY_MS: z.coerce.number({ invalid_type_error: 'milliseconds, 0 or more' }).int().min(0).default(400),
  SIMULATOR_ERROR_RATE: z.coerce.number({ invalid_type_error: 'a fraction from 0 to 1' }).min(0).max(1).default(0),
  GENERATION_CONCURRENCY: positiveInt.default(4),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: positiveInt.default(60),
  RATE_LIMIT_USER_PER_MINUTE: positiveInt.default(120),
  RATE_LIMIT_LOGIN_PER_MINUTE: positiveInt.default(10),
  DISK_PATHS: z
    .string()
    .default('/')
    .transform((v) => v.split(',').map((p) => p.trim()).filter(Boolean)),
});

/** Variables the Alertmanager config renderer reads. Every channel is optional. */
export const alertingSchema = z.object({
  TELEGRAM_BOT_TOKEN: optionalText.refine((v) => v === undefined || /^[0-9]+:[A-Za-z0-9_-]+$/.test(v), 'a bot token like 123456:ABC-DEF... from @BotFather'),
  TELEGRAM_CHAT_ID: optionalText.refine((v) => v === undefined || isInt64(v), 'an integer chat id, e.g. 987654321 or -100123456789'),
  TELEGRAM_API_URL: url(['http:', 'https:']).default('https://api.telegram.org'),
  ALERT_EMAIL: optionalText.refine((v) => v === undefined || email.safeParse(v).success, 'an email address'),
  SMTP_HOST: optionalText.refine((v) => v === undefined || /^([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(v), 'a host name or IP address, without a port (that is SMTP_PORT)'),
  SMTP_PORT: port.default(587),
  SMTP_USER: optionalText,
  SMTP_PASS: optionalText,
  SMTP_FROM: optionalText.refine((v) => v === undefined || email.safeParse(v).success, 'an email address'),
  SMTP_REQUIRE_TLS: booleanFlag.default('true'),
  /** PEM bundle of the CAs that may sign the SMTP server's certificate; unset: the system's roots. */
  SMTP_CA_FILE: optionalText.superRefine((path, ctx) => {
    const problem = path === undefined ? undefined : certificateBundleProblem(path);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `a readable PEM file of CA certificates (${problem})` });
  }),
  ALERT_TIMEZONE: z.string().refine(isTimeZone, 'an IANA time zone such as UTC or Europe/Moscow').default('UTC'),
  /** Info alerts notify only Mon-Fri 09:00-18:00 in ALERT_TIMEZONE (the interval is in the Alertmanager template). */
  ALERT_INFO_WORKING_HOURS: booleanFlag.default('false'),
  /** Dead-man's switch (e.g. healthchecks.io) that the always-firing Watchdog alert pings; unset drops Watchdog. */
  WATCHDOG_URL: z.union([url(['http:', 'https:']), z.literal('')]).optional().transform((v) => v || undefined),
  PROMETHEUS_EXTERNAL_URL: optionalText,
  /** Where the messages' dashboard links point: Grafana's public URL (compose), the local viewer by default. */
  DASHBOARD_URL: optionalText.transform((v, ctx) => {
    if (v === undefined) return LOCAL_DASHBOARD_URL;
    const base = linkBase(v);
    if (base === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `an http(s) URL of a host and a plain path (no credentials, query or fragment), at most ${DASHBOARD_URL_MAX} characters, e.g. https://monitoring.example.com` });
    }
    return base ?? LOCAL_DASHBOARD_URL;
  }),
  /** Where alerts go when no channel is configured: the local stack's terminal printer. */
  ALERT_WEBHOOK_URL: url(['http:', 'https:']).default('http://127.0.0.1:9097/alerts'),
});

/** Variables the local stack launcher reads (`npm start`). */
export const stackSchema = z.object({
  DATA_DIR: z.string().default('.data'),
  PROMETHEUS_PORT: port.default(9090),
  ALERTMANAGER_PORT: port.default(9093),
  /** Ports of the stack's own PostgreSQL and Redis (unused when DATABASE_URL / REDIS_URL are set) and of the exporters. */
  POSTGRES_PORT: port.default(5432),
  REDIS_PORT: port.default(6379),
  NODE_EXPORTER_PORT: port.default(9100),
  POSTGRES_EXPORTER_PORT: port.default(9187),
  REDIS_EXPORTER_PORT: port.default(9121),
  /** blackbox_exporter, which probes the API's /health as a user would reach it. */
  BLACKBOX_EXPORTER_PORT: port.default(9115),
  /** The dashboard viewer: the Samokoder Overview drawn from the JSON Grafana provisions (Grafana's port in compose). */
  DASHBOARD_PORT: port.default(DEFAULT_DASHBOARD_PORT),
  /** Where `doctor` and `test-alert` find Prometheus and Alertmanager; the local ports by default (set them for compose). */
  PROMETHEUS_URL: z.union([url(['http:', 'https:']), z.literal('')]).optional().transform((v) => v || undefined),
  ALERTMANAGER_URL: z.union([url(['http:', 'https:']), z.literal('')]).optional().transform((v) => v || undefined),
  PROMETHEUS_RETENTION: promDuration.default('7d'),
  PROMETHEUS_RETENTION_SIZE: promSize.default('5GB'),
  /** Long-term storage: Prometheus remote_writes every sample here (e.g. VictoriaMetrics' http://HOST:8428/api/v1/write); unset = off. See docs/scaling.md. */
  REMOTE_WRITE_URL: z.union([url(['http:', 'https:']), z.literal('')]).optional().transform((v) => v || undefined),
  REGION: z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes').default('local'),
  /** Grafana (compose), or any server with its health and datasource API, for `doctor`; the local dashboard viewer by default. */
  GRAFANA_URL: optionalText,
});

/** A password that reaches its reader as a file: any text, but no blank ends (readers trim them). */
const password = z.string().regex(/^\S(.*\S)?$/s, 'a non-empty password without spaces at either end');

/**
 * The docker-compose passwords that `render-secrets` writes into files for the containers that
 * read them (src/deploy/compose-secrets.ts). Compose itself requires them (`${VAR:?...}`).
 */
export const composeSecretsSchema = z.object({
  GRAFANA_ADMIN_PASSWORD: password,
  POSTGRES_PASSWORD: password,
  REDIS_PASSWORD: password,
});

/**
 * The API's secret variables: docker-compose gives them to the API in a file (api.env, written by
 * `render-secrets`), never in its container environment.
 */
export const apiSecretsSchema = apiSchema.pick({ DATABASE_URL: true, REDIS_URL: true, JWT_SECRET: true, ADMIN_TOKEN: true, LLM_API_KEY: true, METRICS_TOKEN: true });

/** Variables only docker-compose reads (documented in `.env.example`, not parsed by Node). */
export const composeOnlyKeys = ['PUBLIC_URL'] as const;

export type ApiConfig = z.infer<typeof apiSchema>;
export type AlertingConfig = z.infer<typeof alertingSchema>;
export type StackConfig = z.infer<typeof stackSchema>;
export type ComposeSecrets = z.infer<typeof composeSecretsSchema>;
export type ApiSecrets = z.infer<typeof apiSecretsSchema>;

/** Every environment variable name the project reads, for the `.env.example` check. */
export const allEnvKeys: string[] = [
  ...Object.keys(apiSchema.shape),
  ...Object.keys(alertingSchema.shape),
  ...Object.keys(stackSchema.shape),
  ...Object.keys(composeSecretsSchema.shape),
  ...composeOnlyKeys,
];

/** A configuration problem; its message is one line naming the variable, safe to print. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses `env` with `schema`. Throws {@link ConfigError} whose message names each bad variable
 * and what it expects, one per line, without the offending value.
 */
export function parseEnv<S extends z.AnyZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(environment)';
    const expected = issue.code === 'invalid_type' && issue.received === 'undefined' ? 'is required' : `must be ${issue.message}`;
    return `${key} ${expected}`;
  });
  throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
}
