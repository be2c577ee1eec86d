/**
 * `render-secrets --redis-addr URI [--dir DIR] [--templates DIR]`: docker-compose's one-shot
 * `secrets` service. Writes the secret file of every reader (src/deploy/compose-secrets.ts: the
 * API, PostgreSQL, Redis, Alertmanager, the exporters, Grafana) from the environment, each mode
 * 0600 and owned by its reader's user, so it runs as root. Everything is validated before the
 * first file is written. It prints the paths it wrote and which alert channels are on; never a
 * file's content.
 *
 * Exit codes: 0 written; 1 invalid configuration or a file could not be written; 2 bad usage.
 */
import { resolve } from 'node:path';
import { renderAlertmanagerConfig, TEMPLATES_DIR } from '../alerting/render.ts';
import { alertingSchema, apiSecretsSchema, composeSecretsSchema, ConfigError, parseEnv, type AlertingConfig, type ApiSecrets, type ComposeSecrets } from '../config.ts';
import { SECRETS_DIR, writeSecretFiles } from '../deploy/compose-secrets.ts';
import { commandArgs, processOutput, type Output } from './args.ts';
import { reportChannels } from './render-config.ts';

const USAGE = `Usage: render-secrets --redis-addr URI [--dir DIR] [--templates DIR]
  --redis-addr URI  the redis exporter's REDIS_ADDR (its password file is keyed by it)
  --dir DIR         where the readers' volumes are mounted (default: ${SECRETS_DIR})
  --templates DIR   Alertmanager's *.tmpl files as Alertmanager sees them
                    (default: this checkout's monitoring/alertmanager/templates)
  Reads GRAFANA_ADMIN_PASSWORD, POSTGRES_PASSWORD, REDIS_PASSWORD, the API's DATABASE_URL,
  REDIS_URL, JWT_SECRET (ADMIN_TOKEN, LLM_API_KEY, METRICS_TOKEN if set) and the alerting variables.`;

/** Runs `render-secrets` with `argv` (the arguments after the command name) against `env`. */
export async function renderSecretsCommand(argv: string[], env: NodeJS.ProcessEnv, output: Output = processOutput): Promise<number> {
  const args = commandArgs('render-secrets', USAGE, argv, { 'redis-addr': { type: 'string' }, dir: { type: 'string' }, templates: { type: 'string' } }, output);
  if (typeof args === 'number') return args;
  const { values } = args;
  const redisAddr = values['redis-addr'];
  if (!redisAddr || !/^rediss?:\/\/[^/\s]+$/.test(redisAddr)) {
    output.err(`render-secrets: --redis-addr must be the exporter's REDIS_ADDR, e.g. redis://redis:6379\n${USAGE}`);
    return 2;
  }

  let alerting: AlertingConfig;
  let secrets: ComposeSecrets;
  let api: ApiSecrets;
  try {
    alerting = parseEnv(alertingSchema, env);
    secrets = parseEnv(composeSecretsSchema, env);
    api = parseEnv(apiSecretsSchema, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    output.err(`render-secrets: ${err.message}`);
    return 1;
  }
  const templatesDir = values.templates === undefined ? TEMPLATES_DIR : resolve(values.templates);
  const rendered = renderAlertmanagerConfig(alerting, { templatesDir });
  let written: string[];
  try {
    written = writeSecretFiles(resolve(values.dir ?? SECRETS_DIR), { secrets, api, alertmanagerYaml: rendered.yaml, redisAddr });
  } catch (err) {
    // A value a file cannot hold (ConfigError, found before anything is written), or a file-system
    // error naming the path and the reason (EPERM without root, ENOSPC); never the content.
    output.err(err instanceof ConfigError ? `render-secrets: ${err.message}` : `render-secrets: could not write the secret files: ${(err as Error).message}`);
    return 1;
  }
  for (const path of written) output.out(`Wrote ${path} (mode 0600)`);
  reportChannels(rendered, output);
  return 0;
}

/** Entry point for the CLI dispatcher (`npm run samokoder -- render-secrets ...`). */
export async function run(args: string[]): Promise<number> {
  return renderSecretsCommand(args, process.env);
}
