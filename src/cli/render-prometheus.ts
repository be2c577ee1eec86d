/**
 * `render-prometheus [--out PATH]`: writes prometheus.yml with remote_write set from
 * REMOTE_WRITE_URL (src/monitoring/prometheus.ts), for docker-compose, whose Prometheus 2.x cannot
 * read the URL from the environment. Without REMOTE_WRITE_URL the copy equals the committed file.
 * The copy goes next to the committed one by default, so rules/ and targets/ resolve as usual.
 *
 * Exit codes: 0 written; 1 invalid configuration or the file could not be written; 2 bad usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseEnv, stackSchema } from '../config.ts';
import { PROMETHEUS_CONFIG, PROMETHEUS_DIR } from '../monitoring/paths.ts';
import { withRemoteWrite } from '../monitoring/prometheus.ts';
import { displayUrl } from './endpoints.ts';
import { commandArgs, processOutput, type Output } from './args.ts';

/** The default output: beside the committed prometheus.yml (git-ignored). */
export const RENDERED_PROMETHEUS_CONFIG = join(PROMETHEUS_DIR, 'prometheus.rendered.yml');

const USAGE = `Usage: render-prometheus [--out PATH]
  --out PATH  where to write (default: monitoring/prometheus/prometheus.rendered.yml; docker-compose
              then runs --config.file=/etc/prometheus/prometheus.rendered.yml, see docs/scaling.md)`;

/** Runs `render-prometheus` with `argv` against `env`. */
export async function renderPrometheusCommand(argv: string[], env: NodeJS.ProcessEnv, output: Output): Promise<number> {
  const args = commandArgs('render-prometheus', USAGE, argv, { out: { type: 'string' } }, output);
  if (typeof args === 'number') return args;
  const { values } = args;
  let url: string | undefined;
  try {
    url = parseEnv(stackSchema, env).REMOTE_WRITE_URL;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    output.err(`render-prometheus: ${err.message}`);
    return 1;
  }
  const out = values.out ?? RENDERED_PROMETHEUS_CONFIG;
  try {
    // Readable by the container's Prometheus user; credentials belong in basic_auth, not the URL.
    writeFileSync(out, withRemoteWrite(readFileSync(PROMETHEUS_CONFIG, 'utf8'), url), { mode: 0o644 });
  } catch (err) {
    output.err(`render-prometheus: could not write the config: ${(err as Error).message}`);
    return 1;
  }
  output.out(`Wrote ${out}`);
  output.out(url ? `remote_write: on, to ${displayUrl(url)}` : 'remote_write: off (REMOTE_WRITE_URL is not set)');
  return 0;
}

/** Entry point for the CLI dispatcher. */
export async function run(args: string[]): Promise<number> {
  return renderPrometheusCommand(args, process.env, processOutput);
}
