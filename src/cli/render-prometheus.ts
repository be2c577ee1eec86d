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
import { parseEnv, stackSchema } from '../config.ts';
import { PROMETHEUS_CONFIG, PROMETHEUS_DIR } from '../monitoring/paths.ts';
import { withRemoteWrite } from '../monitoring/prometheus.ts';
import { displayUrl } from './endpoints.ts';
import { defineCommand } from './command.ts';

/** The default output: beside the committed prometheus.yml (git-ignored). */
export const RENDERED_PROMETHEUS_CONFIG = join(PROMETHEUS_DIR, 'prometheus.rendered.yml');

const USAGE = `Usage: render-prometheus [--out PATH]
  --out PATH  where to write (default: monitoring/prometheus/prometheus.rendered.yml; docker-compose
              then runs --config.file=/etc/prometheus/prometheus.rendered.yml, see docs/scaling.md)`;

/** `render-prometheus`: the arguments after the command name in, the exit code out. */
export const renderPrometheusCommand = defineCommand({
  name: 'render-prometheus',
  usage: USAGE,
  options: { out: { type: 'string' } },
  action({ values, env, io, fail }) {
    const url = parseEnv(stackSchema, env).REMOTE_WRITE_URL;
    const out = values.out ?? RENDERED_PROMETHEUS_CONFIG;
    try {
      // Readable by the container's Prometheus user; credentials belong in basic_auth, not the URL.
      writeFileSync(out, withRemoteWrite(readFileSync(PROMETHEUS_CONFIG, 'utf8'), url), { mode: 0o644 });
    } catch (err) {
      return fail(`could not write the config: ${(err as Error).message}`);
    }
    io.out(`Wrote ${out}`);
    io.out(url ? `remote_write: on, to ${displayUrl(url)}` : 'remote_write: off (REMOTE_WRITE_URL is not set)');
    return 0;
  },
});
