/**
 * The local stack's configuration, read from the environment once: `npm start` (src/stack/main.ts)
 * and the tests call {@link parseStackSettings}, and {@link startStack} takes its result. A bad
 * variable is a ConfigError naming it, before anything starts; nothing below reads the
 * environment again.
 */
import { alertingSchema, apiSchema, parseEnv, stackSchema, type AlertingConfig, type StackConfig } from '../config.ts';

/** Everything the launcher needs to know from the environment, validated and typed. */
export interface StackSettings {
  /** The launcher's own variables: DATA_DIR, ports, retention, REGION, REMOTE_WRITE_URL. */
  readonly stack: StackConfig;
  /** The alert channels, rendered into Alertmanager's config. */
  readonly alerting: AlertingConfig;
  /** DASHBOARD_URL was set: the messages' dashboard links go there, not to the stack's own viewer. */
  readonly dashboardUrlSet: boolean;
  /**
   * The API's environment: every variable but the alert channels' credentials. The launcher adds
   * what it owns (DATABASE_URL, REDIS_URL, JWT_SECRET, API_HOST, API_PORT, SAMOKODER_ENV).
   */
  readonly apiEnv: Readonly<Record<string, string>>;
  /** SAMOKODER_ENV: the API's and Prometheus' `environment` label. */
  readonly environment: string;
  /**
   * The port each port variable sets (`API_PORT`, `PROMETHEUS_PORT`, ...; `ALERT_WEBHOOK_URL`: its
   * URL's port), whose services the service list names.
   */
  readonly portsByVariable: Readonly<Record<string, number>>;
  /** ALERT_WEBHOOK_URL's path, and whether it is a loopback http address the launcher can serve itself. */
  readonly alertPrinter: { readonly path: string; readonly local: boolean };
  /** DATABASE_URL and REDIS_URL when set: external services, so no PostgreSQL or Redis is started. Secret. */
  readonly external: { readonly databaseUrl?: string; readonly redisUrl?: string };
  /** JWT_SECRET when set; otherwise the launcher generates one and keeps it in DATA_DIR. Secret. */
  readonly jwtSecret?: string;
  /** METRICS_TOKEN when set: Prometheus scrapes the API with it. Secret. */
  readonly metricsToken?: string;
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

/**
 * Validates every section of `env` (.env already loaded) and returns the stack's settings; throws a
 * ConfigError naming the first bad variable. The API's section is checked with the values the
 * stack supplies itself (database, Redis, JWT secret) standing in where they are unset.
 */
export function parseStackSettings(env: NodeJS.ProcessEnv): StackSettings {
  const stack = parseEnv(stackSchema, env);
  const alerting = parseEnv(alertingSchema, env);
  const api = parseEnv(apiSchema, {
    ...env,
    DATABASE_URL: env.DATABASE_URL || 'postgresql://stack@127.0.0.1/samokoder',
    REDIS_URL: env.REDIS_URL || 'redis://127.0.0.1',
    JWT_SECRET: env.JWT_SECRET || 'generated-by-the-stack-generated-by-the-stack',
  });
  const webhook = new URL(alerting.ALERT_WEBHOOK_URL);
  const apiEnv = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && !(entry[0] in alertingSchema.shape)),
  );
  return {
    stack,
    alerting,
    dashboardUrlSet: nonEmpty(env.DASHBOARD_URL?.trim()) !== undefined,
    apiEnv,
    environment: api.SAMOKODER_ENV,
    portsByVariable: {
      ...Object.fromEntries(Object.entries(stack).filter(([, v]) => typeof v === 'number')),
      API_PORT: api.API_PORT,
      ALERT_WEBHOOK_URL: Number(webhook.port || (webhook.protocol === 'https:' ? 443 : 80)),
    },
    alertPrinter: { path: webhook.pathname, local: webhook.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(webhook.hostname) },
    external: { databaseUrl: nonEmpty(env.DATABASE_URL), redisUrl: nonEmpty(env.REDIS_URL) },
    jwtSecret: nonEmpty(env.JWT_SECRET),
    metricsToken: nonEmpty(env.METRICS_TOKEN),
  };
}
