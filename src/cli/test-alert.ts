/**
 * `test-alert [--severity critical|warning|info]`: posts one alert to Alertmanager's
 * `/api/v2/alerts` (the operator guide's `/api/v1/alerts` example is gone from current Alertmanager) and
 * reports whether it was accepted and which receivers, with which integrations, it routes to —
 * asked of the real `amtool` against the config the running Alertmanager has loaded.
 * The alert resolves by itself after {@link LIFETIME_MINUTES} minutes.
 *
 * Exit codes: 0 accepted and routed to a receiver that sends somewhere; 1 otherwise; 2 bad usage.
 */
import { spawnSync } from 'node:child_process';
import { requireBinary } from '../packages.ts';
import { displayUrl, endpoints, HttpError, request } from './endpoints.ts';
import { receiversOf, severityTimings } from '../monitoring/alertmanager.ts';
import { defineCommand } from './command.ts';

const SEVERITIES = ['critical', 'warning', 'info'] as const;
const LIFETIME_MINUTES = 5;

const USAGE = `Usage: test-alert [--severity critical|warning|info]
  Posts the alert SamokoderTestAlert (default severity: critical, which goes to every channel)
  to ALERTMANAGER_URL (default http://127.0.0.1:$ALERTMANAGER_PORT) and shows where it routes.
  It resolves by itself after ${LIFETIME_MINUTES} minutes.`;

/** The labels of the test alert for `severity`. */
export function testAlertLabels(severity: string): Record<string, string> {
  return { alertname: 'SamokoderTestAlert', severity, component: 'monitoring', instance: 'test-alert' };
}

/** The receivers Alertmanager at `url` routes `labels` to, in order (`amtool config routes test`). */
export function routeReceivers(url: string, labels: Record<string, string>): string[] {
  const result = spawnSync(
    requireBinary('amtool'),
    ['config', 'routes', 'test', `--alertmanager.url=${url}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (result.status !== 0) throw new HttpError(`amtool config routes test failed: ${(result.stderr || result.error?.message || '').trim()}`);
  return result.stdout.trim().split(',').filter(Boolean);
}

/** `test-alert`: the arguments after the command name in, the exit code out. */
export const testAlertCommand = defineCommand({
  name: 'test-alert',
  usage: USAGE,
  options: { severity: { type: 'string', default: 'critical' } },
  async action({ values: { severity }, env, io, usageError }) {
    if (!(SEVERITIES as readonly string[]).includes(severity)) return usageError(`--severity must be one of ${SEVERITIES.join(', ')}`);
    const url = endpoints(env).alertmanager;

    const labels = testAlertLabels(severity);
    const now = new Date();
    try {
      await request(`${url}/api/v2/alerts`, {
        method: 'POST',
        body: [
          {
            labels,
            annotations: {
              summary: `Test alert (${severity}) from samokoder test-alert`,
              description: `Posted at ${now.toISOString()} to check the alert path; it resolves by itself in ${LIFETIME_MINUTES} minutes.`,
            },
            startsAt: now.toISOString(),
            endsAt: new Date(now.getTime() + LIFETIME_MINUTES * 60_000).toISOString(),
          },
        ],
      });
      io.out(`✔ Alertmanager ${displayUrl(url)} accepted SamokoderTestAlert (severity ${severity}).`);

      const status = await request(`${url}/api/v2/status`);
      const receivers = receiversOf(status);
      const routed = routeReceivers(url, labels);
      const described = routed.map((name) => {
        const integrations = receivers.find((r) => r.name === name)?.integrations ?? [];
        return { name, integrations };
      });
      const delivering = described.filter((r) => r.integrations.length > 0);
      io.out(`Routes to: ${described.map((r) => `${r.name} (${r.integrations.join(', ') || 'no integration'})`).join(', ')}`);
      if (described.some((r) => r.name === 'webhook')) io.out('  webhook: with no channel configured, `npm start` prints alerts in its terminal.');
      if (delivering.length === 0) {
        io.err('✖ no receiver of this route sends anywhere: configure Telegram or email in .env');
        return 1;
      }
      io.out(`Expect the notification in about ${severityTimings(status.config.original, severity).groupWait} (the route's group_wait).`);
      return 0;
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      io.err(`✖ ${err.message}`);
      return 1;
    }
  },
});
