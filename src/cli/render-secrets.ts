/**
 * `render-secrets --redis-addr URI [--dir DIR] [--templates DIR] [--smtp-ca PATH]`: docker-compose's
 * one-shot `secrets` service. Writes the secret file of every reader (src/deploy/compose-secrets.ts:
 * the API, PostgreSQL, Redis, Alertmanager and its SMTP CA bundle, the exporters, Grafana) from the
 * environment, each mode 0600 and owned by its reader's user, so it runs as root. Everything is
 * validated before the first file is written. It prints the paths it wrote and which alert channels
 * are on; never a file's content.
 *
 * Exit codes: 0 written; 1 invalid configuration or a file could not be written; 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderAlertmanagerConfig } from '../monitoring/alertmanager.ts';
import { TEMPLATES_DIR } from '../monitoring/paths.ts';
import { alertingSchema, apiSecretsSchema, composeSecretsSchema, ConfigError, parseEnv } from '../config.ts';
import { SECRETS_DIR, secretPath, SMTP_CA, SMTP_CA_INPUT, writeSecretFiles } from '../deploy/compose-secrets.ts';
import { defineCommand } from './command.ts';
import { reportChannels } from './render-config.ts';

const USAGE = `Usage: render-secrets --redis-addr URI [--dir DIR] [--templates DIR] [--smtp-ca PATH]
  --redis-addr URI  the redis exporter's REDIS_ADDR (its password file is keyed by it)
  --dir DIR         where the readers' volumes are mounted (default: ${SECRETS_DIR})
  --templates DIR   Alertmanager's *.tmpl files as Alertmanager sees them
                    (default: this checkout's monitoring/alertmanager/templates)
  --smtp-ca PATH    where SMTP_CA_FILE is readable here, when it is set (compose mounts it at
                    ${SMTP_CA_INPUT}); default: SMTP_CA_FILE itself. Alertmanager gets a copy.
  Reads GRAFANA_ADMIN_PASSWORD, POSTGRES_PASSWORD, REDIS_PASSWORD, the API's DATABASE_URL,
  REDIS_URL, JWT_SECRET (ADMIN_TOKEN, LLM_API_KEY, METRICS_TOKEN if set) and the alerting variables.`;

/** `render-secrets`: the arguments after the command name in, the exit code out. */
export const renderSecretsCommand = defineCommand({
  name: 'render-secrets',
  usage: USAGE,
  options: { 'redis-addr': { type: 'string' }, dir: { type: 'string' }, templates: { type: 'string' }, 'smtp-ca': { type: 'string' } },
  action({ values, env, io, usageError, fail }) {
    const redisAddr = values['redis-addr'];
    if (!redisAddr || !/^rediss?:\/\/[^/\s]+$/.test(redisAddr)) return usageError("--redis-addr must be the exporter's REDIS_ADDR, e.g. redis://redis:6379");
    // SMTP_CA_FILE names the operator's file; it is validated (and read) where it is mounted here.
    const caFile = env.SMTP_CA_FILE?.trim() ? (values['smtp-ca'] ?? env.SMTP_CA_FILE) : undefined;
    const alerting = parseEnv(alertingSchema, { ...env, SMTP_CA_FILE: caFile });
    const secrets = parseEnv(composeSecretsSchema, env);
    const api = parseEnv(apiSecretsSchema, env);
    const smtpCa = alerting.SMTP_CA_FILE === undefined ? undefined : readFileSync(alerting.SMTP_CA_FILE, 'utf8');
    const templatesDir = values.templates === undefined ? TEMPLATES_DIR : resolve(values.templates);
    // Alertmanager reads its own copy of the CA, in its volume.
    const rendered = renderAlertmanagerConfig({ ...alerting, SMTP_CA_FILE: smtpCa === undefined ? undefined : secretPath(SMTP_CA) }, { templatesDir });
    let written: string[];
    try {
      written = writeSecretFiles(resolve(values.dir ?? SECRETS_DIR), { secrets, api, alertmanagerYaml: rendered.yaml, redisAddr, ...(smtpCa === undefined ? {} : { smtpCa }) });
    } catch (err) {
      // A value a file cannot hold (ConfigError, found before anything is written: reported as
      // such), or a file-system error naming the path and the reason (EPERM without root, ENOSPC);
      // never the content.
      if (err instanceof ConfigError) throw err;
      return fail(`could not write the secret files: ${(err as Error).message}`);
    }
    for (const path of written) io.out(`Wrote ${path} (mode 0600)`);
    reportChannels(rendered, io);
    return 0;
  },
});
