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
import { alertingSchema, parseEnv, stackSchema } from '../config.ts';
import { defineCommand, type Output } from './command.ts';
import { writePrivateFile } from '../private-file.ts';

const USAGE = `Usage: render-config [--out PATH] [--templates DIR]
  --out PATH       where to write alertmanager.yml (default: $DATA_DIR/alertmanager/alertmanager.yml)
  --templates DIR  directory of the *.tmpl files as Alertmanager sees it
                   (default: this checkout's monitoring/alertmanager/templates;
                   docker-compose: /etc/alertmanager/templates)`;

/** `render-config`: the arguments after the command name in, the exit code out. */
export const renderConfigCommand = defineCommand({
  name: 'render-config',
  usage: USAGE,
  options: { out: { type: 'string' }, templates: { type: 'string' } },
  action({ values, env, io, fail }) {
    const alerting = parseEnv(alertingSchema, env);
    const out = values.out ?? join(parseEnv(stackSchema, env).DATA_DIR, 'alertmanager', 'alertmanager.yml');
    const templatesDir = values.templates === undefined ? TEMPLATES_DIR : resolve(values.templates);
    const rendered = renderAlertmanagerConfig(alerting, { templatesDir });
    try {
      writePrivateFile(out, rendered.yaml);
    } catch (err) {
      // File-system errors name the path and the reason (EACCES, ENOSPC), never the content.
      return fail(`could not write the config: ${(err as Error).message}`);
    }
    io.out(`Wrote ${out} (mode 0600; templates ${join(templatesDir, '*.tmpl')})`);
    reportChannels(rendered, io);
    return 0;
  },
});

/** Prints which alert channels a rendered config sends to, and its warnings (never a value). */
export function reportChannels(rendered: RenderedConfig, output: Output): void {
  const state = (on: boolean) => (on ? 'on' : 'off');
  const { telegram, email, webhook } = rendered.channels;
  output.out(`Alert channels: telegram ${state(telegram)}, email ${state(email)}, webhook ${state(webhook)}`);
  for (const warning of rendered.warnings) output.err(`warning: ${warning}`);
}
