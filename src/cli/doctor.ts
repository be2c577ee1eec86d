/**
 * `doctor`: the operator's troubleshooting checklist, automated, against any stack (local or
 * compose, see endpoints.ts). It asks Prometheus for its targets (with last scrape errors), rules
 * (with evaluation failures), Alertmanager discovery and firing alerts; Alertmanager for its config
 * status and receivers, silences, inhibited alerts and failed notifications per integration, each
 * with the last error from Alertmanager's log (its metrics and API only count failures); and the
 * dashboards: Grafana (GRAFANA_URL) or the local stack's dashboard viewer, which answers the same
 * API — health, each datasource's health, the dashboards loaded.
 *
 * Exit codes: 0 healthy (warnings, printed with ⚠, allowed); 1 a problem (each printed with ✖
 * and what is broken); 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { DEADMAN_OFF, RECEIVERS, receiversOf } from '../monitoring/alertmanager.ts';
import { ConfigError, parseEnv, stackSchema } from '../config.ts';
import { serviceLogFile } from '../stack/services.ts';
import { stackDirs } from '../stack/stack.ts';
import { lastFailures, type NotificationFailure } from './alertmanager-log.ts';
import { displayUrl, endpoints, HttpError, request } from './endpoints.ts';
import { defineCommand, type Output } from './command.ts';

const USAGE = `Usage: doctor [--alertmanager-log FILE]
  Checks Prometheus (PROMETHEUS_URL, default http://127.0.0.1:$PROMETHEUS_PORT), Alertmanager
  (ALERTMANAGER_URL, default http://127.0.0.1:$ALERTMANAGER_PORT) and the dashboards: Grafana
  (GRAFANA_URL; credentials as http://user:password@host:3000) or, when neither GRAFANA_URL nor
  PROMETHEUS_URL is set, the local dashboard viewer (http://127.0.0.1:$DASHBOARD_PORT).
  Exit 0 only when everything is healthy.
  --alertmanager-log FILE  Alertmanager's log, for why notifications failed (its metrics and API
                           only count failures); - reads standard input, e.g.
                           docker compose logs --no-color alertmanager | ... doctor --alertmanager-log -
                           Default with ALERTMANAGER_URL unset: the local stack's $DATA_DIR/logs/alertmanager.log`;

/** A window long enough to see recent failures, short enough to forget a fixed one. */
const RECENT = '15m';

/** Collects findings: ✔ fine, • information, ⚠ a warning (healthy, but blind somewhere), ✖ a problem. */
class Report {
  problems = 0;
  warnings = 0;
  constructor(private readonly output: Output) {}
  section(title: string) {
    this.output.out(title);
  }
  ok(line: string) {
    this.output.out(`  ✔ ${line}`);
  }
  info(line: string) {
    this.output.out(`  • ${line}`);
  }
  warning(line: string) {
    this.warnings += 1;
    this.output.out(`  ⚠ ${line}`);
  }
  problem(line: string) {
    this.problems += 1;
    this.output.out(`  ✖ ${line}`);
  }
}

interface PromTarget {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: string;
  lastError: string;
  lastScrape: string;
}
interface PromRule {
  name: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
  state?: string;
  alerts?: Array<{ labels: Record<string, string>; state: string }>;
}

/** Runs an instant query; returns the result vector. */
async function query(prometheus: string, expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const body = await request(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return body.data.result;
}

async function checkPrometheus(url: string, report: Report): Promise<void> {
  report.section(`Prometheus ${displayUrl(url)}`);
  try {
    await request(`${url}/-/ready`, { text: true });
  } catch (err) {
    report.problem(`not ready: ${(err as Error).message}`);
    return;
  }

  const targets: PromTarget[] = (await request(`${url}/api/v1/targets?state=active`)).data.activeTargets;
  const down = targets.filter((t) => t.health !== 'up');
  if (targets.length === 0) report.problem('no scrape targets discovered (check targets/*.yml)');
  else if (down.length === 0) report.ok(`targets: all ${targets.length} up (${[...new Set(targets.map((t) => t.labels.job))].sort().join(', ')})`);
  for (const t of down) {
    report.problem(`target ${t.labels.job}/${t.labels.instance} (${t.scrapeUrl}) is ${t.health}: ${t.lastError || 'not scraped yet'}`);
  }

  const groups: Array<{ name: string; file: string; rules: PromRule[] }> = (await request(`${url}/api/v1/rules`)).data.groups;
  const rules = groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
  const broken = rules.filter((r) => r.health === 'err');
  if (rules.length === 0) report.problem('no rules loaded (check rule_files and rules/*.yml)');
  else if (broken.length === 0) {
    report.ok(`rules: ${groups.length} groups, ${rules.filter((r) => r.type === 'alerting').length} alerts and ${rules.filter((r) => r.type === 'recording').length} recording rules loaded, none failing`);
  }
  for (const r of broken) report.problem(`rule ${r.name} (group ${r.group}) fails to evaluate: ${r.lastError}`);
  // Failures that have stopped by now still mean alerts may have been missed; a group already
  // named above is not named twice. The metric's rule_group is `<file>;<group>`.
  const brokenGroups = new Set(broken.map((r) => r.group));
  for (const s of await query(url, `sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total[${RECENT}])) > 0`)) {
    const group = (s.metric.rule_group ?? '').split(';').pop() ?? '';
    if (!brokenGroups.has(group)) report.problem(`rule group ${group} had ${Number(s.value[1]).toFixed(0)} evaluation failures in the last ${RECENT}`);
  }

  const ams = (await request(`${url}/api/v1/alertmanagers`)).data.activeAlertmanagers as Array<{ url: string }>;
  if (ams.length === 0) report.problem('no Alertmanager discovered: alerts go nowhere (check alerting: and targets/alertmanager.yml)');
  else report.ok(`sends alerts to ${ams.map((a) => a.url).join(', ')}`);
  for (const s of await query(url, `sum by (alertmanager) (increase(prometheus_notifications_errors_total[${RECENT}])) > 0`)) {
    report.problem(`${Number(s.value[1]).toFixed(0)} errors sending alerts to ${s.metric.alertmanager} in the last ${RECENT}`);
  }

  const firing = rules.flatMap((r) => (r.alerts ?? []).filter((a) => a.state === 'firing' && a.labels.alertname !== 'Watchdog'));
  report.info(firing.length ? `firing: ${firing.map((a) => `${a.labels.alertname} (${a.labels.severity ?? '?'}${a.labels.instance ? `, ${a.labels.instance}` : ''})`).join(', ')}` : 'no alert firing (Watchdog aside)');
}

/** `name{integration="x"} value` samples of one metric from a text exposition. */
function samples(exposition: string, metric: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of exposition.matchAll(new RegExp(`^${metric}\\{[^}]*integration="([^"]+)"[^}]*\\} ([0-9.e+]+)$`, 'gm'))) {
    out.set(m[1] as string, (out.get(m[1] as string) ?? 0) + Number(m[2]));
  }
  return out;
}

/** Alertmanager's log as read for this run: where it came from and the last failure per integration. */
interface AlertmanagerLog {
  source: string;
  failures: Map<string, NotificationFailure>;
}

/** Why notifications of `integration` failed, and where that comes from. */
function lastError(integration: string, log: AlertmanagerLog | undefined): string {
  if (!log) return "the reason is only in Alertmanager's log (its metrics and API count failures only): pass --alertmanager-log";
  const failure = log.failures.get(integration);
  if (!failure) return `no failure of ${integration} in Alertmanager's log (${log.source})`;
  return `last error ${failure.at} (receiver ${failure.receiver}): ${failure.error} (from Alertmanager's log, ${log.source})`;
}

async function checkAlertmanager(url: string, prometheus: string, log: AlertmanagerLog | undefined, report: Report): Promise<void> {
  report.section(`Alertmanager ${displayUrl(url)}`);
  let status: { config: { original: string }; cluster: { status: string }; uptime: string; versionInfo?: { version: string } };
  try {
    status = await request(`${url}/api/v2/status`);
  } catch (err) {
    report.problem(`unreachable: ${(err as Error).message}`);
    return;
  }
  const receivers = receiversOf(status);
  report.ok(`config loaded (version ${status.versionInfo?.version ?? '?'}, up since ${status.uptime}, cluster ${status.cluster.status})`);
  report.info(`receivers: ${receivers.map((r) => `${r.name} (${r.integrations.join(', ') || 'no integration: drops alerts'})`).join('; ')}`);
  if (!receivers.some((r) => r.name === RECEIVERS.watchdog && r.integrations.length > 0)) report.warning(DEADMAN_OFF);

  const silences = ((await request(`${url}/api/v2/silences`)) as Array<{ id: string; status: { state: string }; matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual?: boolean }>; endsAt: string; createdBy: string; comment: string }>).filter(
    (s) => s.status.state === 'active',
  );
  if (silences.length === 0) report.ok('no active silences');
  for (const s of silences) {
    const matchers = s.matchers.map((m) => `${m.name}${m.isEqual === false ? '!' : ''}${m.isRegex ? '=~' : '='}"${m.value}"`).join(',');
    report.info(`silence ${s.id} {${matchers}} until ${s.endsAt} by ${s.createdBy}: ${s.comment}`);
  }

  const alerts = (await request(`${url}/api/v2/alerts`)) as Array<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[]; silencedBy: string[] } }>;
  const inhibited = alerts.filter((a) => a.status.inhibitedBy.length > 0);
  const silenced = alerts.filter((a) => a.status.silencedBy.length > 0);
  report.info(`${alerts.length} alerts received; ${inhibited.length} inhibited${inhibited.length ? ` (${inhibited.map((a) => a.labels.alertname).join(', ')})` : ''}; ${silenced.length} silenced${silenced.length ? ` (${silenced.map((a) => a.labels.alertname).join(', ')})` : ''}`);

  // Totals since Alertmanager started, for the integrations in use; a problem only if recent.
  const exposition: string = await request(`${url}/metrics`, { text: true });
  const sent = samples(exposition, 'alertmanager_notifications_total');
  const failed = samples(exposition, 'alertmanager_notifications_failed_total');
  const inUse = new Set(receivers.flatMap((r) => r.integrations));
  const lines = [...sent.keys()].filter((i) => inUse.has(i) || (failed.get(i) ?? 0) > 0).map((i) => `${i} ${sent.get(i) ?? 0} sent, ${failed.get(i) ?? 0} failed`);
  report.info(`notifications since start: ${lines.length ? lines.join('; ') : 'none'}`);
  try {
    const recent = await query(prometheus, `sum by (integration) (increase(alertmanager_notifications_failed_total[${RECENT}])) > 0`);
    if (recent.length === 0) report.ok(`no failed notifications in the last ${RECENT}`);
    for (const s of recent) {
      const integration = s.metric.integration ?? '';
      report.problem(`${integration}: ${Number(s.value[1]).toFixed(0)} notifications failed in the last ${RECENT} (after retries); ${lastError(integration, log)}`);
    }
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    for (const [integration, count] of failed) {
      if (count > 0) report.problem(`${integration}: ${count} notifications failed since Alertmanager started (Prometheus unavailable for the recent count); ${lastError(integration, log)}`);
    }
  }
}

async function checkDashboards(url: string | undefined, report: Report): Promise<void> {
  if (!url) {
    report.section('Dashboards: GRAFANA_URL not set, skipped (PROMETHEUS_URL points at another stack; set GRAFANA_URL to check its Grafana)');
    return;
  }
  report.section(`Dashboards ${displayUrl(url)}`);
  try {
    const health = await request(`${url}/api/health`);
    report.ok(`up (${health.database ? `database ${health.database}, ` : ''}version ${health.version ?? '?'})`);
    const sources = (await request(`${url}/api/datasources`)) as Array<{ uid: string; name: string; type: string }>;
    if (sources.length === 0) report.problem('no datasource configured (check provisioning/datasources)');
    for (const s of sources) {
      try {
        const result = await request(`${url}/api/datasources/uid/${encodeURIComponent(s.uid)}/health`);
        if (result.status === 'OK') report.ok(`datasource ${s.name} (${s.type}): ${result.message ?? 'OK'}`);
        else report.problem(`datasource ${s.name} (${s.type}): ${result.message ?? result.status}`);
      } catch (err) {
        report.problem(`datasource ${s.name} (${s.type}): ${(err as Error).message}`);
      }
    }
    const dashboards = (await request(`${url}/api/search?type=dash-db`)) as Array<{ title: string }>;
    if (dashboards.length === 0) report.problem('no dashboard loaded (check provisioning/dashboards and monitoring/grafana/dashboards/)');
    else report.ok(`dashboards: ${dashboards.map((d) => d.title).join(', ')}`);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    report.problem(`${err.message}${/ 401/.test(err.message) ? ' (put credentials in GRAFANA_URL: http://user:password@host:3000)' : ''}`);
  }
}

/**
 * Reads Alertmanager's log: `path` (`-` for standard input) or, for the local stack, its log file
 * when it exists. Undefined when there is none; throws naming the file when a given one cannot be read.
 */
function readAlertmanagerLog(path: string | undefined, env: NodeJS.ProcessEnv): AlertmanagerLog | undefined {
  if (path === '-') return { source: 'standard input', failures: lastFailures(readFileSync(0, 'utf8')) };
  if (path !== undefined) {
    try {
      return { source: path, failures: lastFailures(readFileSync(path, 'utf8')) };
    } catch (err) {
      throw new ConfigError(`--alertmanager-log: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  if (env.ALERTMANAGER_URL) return undefined;
  const local = serviceLogFile(stackDirs(parseEnv(stackSchema, env)).logDir, 'alertmanager');
  try {
    return { source: local, failures: lastFailures(readFileSync(local, 'utf8')) };
  } catch {
    return undefined; // no local stack has run here
  }
}

/** `doctor`: the arguments after the command name in, the exit code out (0 = healthy). */
export const doctorCommand = defineCommand({
  name: 'doctor',
  usage: USAGE,
  options: { 'alertmanager-log': { type: 'string' } },
  async action({ values, env, io }) {
    const urls = endpoints(env);
    const log = readAlertmanagerLog(values['alertmanager-log'], env);
    const report = new Report(io);
    for (const check of [() => checkPrometheus(urls.prometheus, report), () => checkAlertmanager(urls.alertmanager, urls.prometheus, log, report), () => checkDashboards(urls.dashboards, report)]) {
      try {
        await check();
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        report.problem(err.message);
      }
    }
    const warned = report.warnings ? ` (${report.warnings} warning${report.warnings === 1 ? '' : 's'})` : '';
    io.out(report.problems === 0 ? `Healthy${warned}.` : `${report.problems} problem${report.problems === 1 ? '' : 's'} found${warned}.`);
    return report.problems === 0 ? 0 : 1;
  },
});
