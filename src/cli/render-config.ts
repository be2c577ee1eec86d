/**
 * `render-config [--out PATH] [--templates DIR]`: renders Alertmanager's config from the template
 * and the environment (src/monitoring/alertmanager.ts) and writes it with mode 0600. It prints where it
 * wrote, which channels are on and any warnings; never the file's content, which holds secrets.
 *
 * Exit codes: 0 written; 1 invalid configuration or the file could not be written; 2 bad usage.
 */
import { join, resolve } from 'node:path';
import { renderAlertmanagerConfig, type RenderedConfig } from '../monitoring/alertmanager.ts';
import { TEMPLATES_DIR } from '../monitoring/paths.ts';
import { alertingSchema, ConfigError, parseEnv, stackSchema, type AlertingConfig } from '../config.ts';
import { commandArgs, processOutput, type Output } from './args.ts';
import { writePrivateFile } from '../private-file.ts';

const USAGE = `Usage: render-config [--out PATH] [--templates DIR]
  --out PATH       where to write alertmanager.yml (default: $DATA_DIR/alertmanager/alertmanager.yml)
  --templates DIR  directory of the *.tmpl files as Alertmanager sees it
                   (default: this checkout's monitoring/alertmanager/templates;
                   docker-compose: /etc/alertmanager/templates)`;

/** Runs `render-config` with `argv` (the arguments after the command name) against `env`. */
export async function renderConfigCommand(argv: string[], env: NodeJS.ProcessEnv, output: Output = processOutput): Promise<number> {
  const args = commandArgs('render-config', USAGE, argv, { out: { type: 'string' }, templates: { type: 'string' } }, output);
  if (typeof args === 'number') return args;
  const { values } = args;

  let alerting: AlertingConfig;
  let out: string;
  try {
    alerting = parseEnv(alertingSchema, env);
    out = values.out ?? join(parseEnv(stackSchema, env).DATA_DIR, 'alertmanager', 'alertmanager.yml');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    output.err(`render-config: ${err.message}`);
    return 1;
  }
  const templatesDir = values.templates === undefined ? TEMPLATES_DIR : resolve(values.templates);
  const rendered = renderAlertmanagerConfig(alerting, { templatesDir });
  try {
    writePrivateFile(out, rendered.yaml);
  } catch (err) {
    // File-system errors name the path and the reason (EACCES, ENOSPC), never the content.
    output.err(`render-config: could not write the config: ${(err as Error).message}`);
    return 1;
  }
  output.out(`Wrote ${out} (mode 0600; templates ${join(templatesDir, '*.tmpl')})`);
  reportChannels(rendered, output);
  return 0;
}

/** Prints which alert channels a rendered config sends to, and its warnings (never a value). */
export function reportChannels(rendered: RenderedConfig, output: Output): void {
  const state = (on: boolean) => (on ? 'on' : 'off');
  const { telegram, email, webhook } = rendered.channels;
  output.out(`Alert channels: telegram ${state(telegram)}, email ${state(email)}, webhook ${state(webhook)}`);
  for (const warning of rendered.warnings) output.err(`warning: ${warning}`);
}

/** Entry point for the CLI dispatcher (`npm run samokoder -- render-config ...`). */
export async function run(args: string[]): Promise<number> {
  return renderConfigCommand(args, process.env);
}
