/**
 * The dashboard viewer process (`tsx src/dashboard-viewer/server.ts`; the local stack starts it as
 * the `dashboard` service): the dashboards Grafana provisions, drawn with live data from the
 * Prometheus at PROMETHEUS_URL (default http://127.0.0.1:$PROMETHEUS_PORT), on
 * http://127.0.0.1:$DASHBOARD_PORT. A bad variable is one line and exit 1.
 */
import { ConfigError, parseEnv, stackSchema } from '../config.ts';
import { startViewer } from './viewer.ts';

let config;
try {
  config = parseEnv(stackSchema);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
const prometheus = config.PROMETHEUS_URL ?? `http://127.0.0.1:${config.PROMETHEUS_PORT}`;
const viewer = await startViewer(config.DASHBOARD_PORT, prometheus, { onError: (err) => process.stderr.write(`error: ${err.stack ?? err.message}\n`) });
process.stdout.write(`dashboard viewer on ${viewer.url}, querying ${prometheus}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void viewer.close().then(() => process.exit(0)));
}
