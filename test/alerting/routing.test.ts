// Routing proved with the real `amtool config routes test` on rendered configs: each severity in
// each channel combination reaches the receivers the operator guide's alert tables promise, every alert rule
// of monitoring/prometheus/rules routes somewhere sensible, and the timings and inhibitions are
// the ones issue 3 asks for (current `matchers` syntax, group_interval >= 1m, narrow inhibitions).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { listAlerts } from '../../src/monitoring/rules.ts';
import { amtool, renderTo, routeReceivers, VARIANTS, type Variant } from '../support/alertmanager-config.ts';
import { tempDir } from '../support/services.ts';

const dir = tempDir('am-routing');
after(() => dir.remove());
const files = {} as Record<Variant, string>;
before(() => {
  for (const name of Object.keys(VARIANTS) as Variant[]) files[name] = renderTo(dir.path, name, VARIANTS[name]).file;
});

/** Expected receivers per severity for each channel combination (a missing channel falls back). */
const EXPECTED: Record<Variant, Record<'critical' | 'warning' | 'info' | 'unknown' | 'watchdog', string[]>> = {
  both: { critical: ['telegram', 'email'], warning: ['telegram'], info: ['telegram'], unknown: ['telegram'], watchdog: ['watchdog'] },
  telegram: { critical: ['telegram'], warning: ['telegram'], info: ['telegram'], unknown: ['telegram'], watchdog: ['watchdog'] },
  email: { critical: ['email'], warning: ['email'], info: ['email'], unknown: ['email'], watchdog: ['watchdog'] },
  none: { critical: ['webhook'], warning: ['webhook'], info: ['webhook'], unknown: ['webhook'], watchdog: ['watchdog'] },
};

describe('each severity reaches the right receivers in each channel combination', () => {
  for (const variant of Object.keys(EXPECTED) as Variant[]) {
    test(variant, () => {
      const expected = EXPECTED[variant];
      const route = (labels: Record<string, string>) => routeReceivers(files[variant], { alertname: 'TestAlert', component: 'api', ...labels });
      assert.deepEqual(route({ severity: 'critical' }), expected.critical);
      assert.deepEqual(route({ severity: 'warning' }), expected.warning);
      assert.deepEqual(route({ severity: 'info' }), expected.info);
      assert.deepEqual(route({ severity: 'page-me' }), expected.unknown, 'an unknown severity still reaches a person');
      assert.deepEqual(route({ alertname: 'Watchdog', severity: 'none', component: 'monitoring' }), expected.watchdog);
    });
  }

  test("amtool's own --verify.receivers agrees, and fails on a wrong expectation", () => {
    const verify = (receivers: string) =>
      amtool(['config', 'routes', 'test', `--config.file=${files.both}`, `--verify.receivers=${receivers}`, 'alertname=APIDown', 'severity=critical', 'component=api']);
    assert.equal(verify('telegram,email').status, 0);
    assert.notEqual(verify('telegram').status, 0);
  });
});


describe("the operator guide's alert tables, with the labels of the real rules", () => {
  // The operator guide: critical -> Telegram + Email; warning and info -> Telegram.
  const promised: Record<string, string[]> = {
    APIDown: ['telegram', 'email'],
    LowDiskSpace: ['telegram', 'email'],
    HighErrorRate: ['telegram'],
    HighLatency: ['telegram'],
    HighLLMErrorRate: ['telegram'],
    HighCPUUsage: ['telegram'],
    HighMemoryUsage: ['telegram'],
    HighRateLimitHits: ['telegram'],
    NoProjectsCreated: ['telegram'],
  };
  for (const [alertname, receivers] of Object.entries(promised)) {
    test(alertname, () => {
      const rules = listAlerts().filter((r) => r.alert === alertname);
      assert.ok(rules.length > 0, `no rule named ${alertname} in monitoring/prometheus/rules`);
      for (const rule of rules) assert.deepEqual(routeReceivers(files.both, { alertname, ...rule.labels }), receivers);
    });
  }

  test('every rule has a severity the routing knows, and Watchdog reaches no person', () => {
    const rules = listAlerts();
    assert.ok(rules.length >= 9);
    for (const rule of rules) {
      const labels: Record<string, string> = { alertname: rule.alert as string, ...rule.labels };
      const receivers = routeReceivers(files.both, labels);
      if (rule.alert === 'Watchdog') assert.deepEqual(receivers, ['watchdog']);
      else assert.deepEqual(receivers, EXPECTED.both[labels.severity as 'critical' | 'warning' | 'info'], `${rule.alert} (severity ${labels.severity})`);
    }
  });
});

/** Seconds in an Alertmanager duration such as `1h30m` or `10s`. */
function seconds(duration: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/([0-9]+)(ms|s|m|h|d|w)/g)) total += Number(n) * (units[unit as string] as number);
  return total;
}

type Route = { matchers?: string[]; routes?: Route[]; [key: string]: unknown };
const walk = (route: Route): Route[] => [route, ...(route.routes ?? []).flatMap(walk)];

describe('timings, syntax and inhibitions of the rendered config', () => {
  const doc = () => parse(readFileSync(files.both, 'utf8'));
  const child = (matcher: string) => (doc().route.routes as Route[]).find((r) => r.matchers?.includes(matcher)) as Route;

  test('grouped by alertname, severity, component, environment and region; no deprecated match/match_re anywhere', () => {
    assert.deepEqual(doc().route.group_by, ['alertname', 'severity', 'component', 'environment', 'region']);
    assert.doesNotMatch(readFileSync(files.both, 'utf8'), /^\s*-?\s*(match|match_re|source_match|source_match_re|target_match|target_match_re):/m);
  });

  test('group_interval is at least a minute on every route; critical waits <= 10 s and repeats in 1-4 h', () => {
    for (const route of walk(doc().route)) {
      if (route.group_interval !== undefined) assert.ok(seconds(route.group_interval as string) >= 60, `group_interval ${route.group_interval}`);
    }
    const critical = child('severity="critical"');
    assert.ok(seconds(critical.group_wait as string) <= 10);
    const repeat = seconds(critical.repeat_interval as string);
    assert.ok(repeat >= 3600 && repeat <= 4 * 3600, `critical repeat_interval ${critical.repeat_interval}`);
    const warning = seconds((child('severity="warning"').repeat_interval ?? doc().route.repeat_interval) as string);
    assert.ok(seconds(child('severity="info"').repeat_interval as string) > warning, 'info repeats less often than warning');
  });

  test('inhibitions are narrow: named sources, named targets, equal labels; no severity-wide rule', () => {
    const rules = doc().inhibit_rules as Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>;
    const bySource = Object.fromEntries(rules.map((r) => [r.source_matchers.join(','), r]));
    assert.deepEqual(Object.keys(bySource).sort(), [
      'alertname="APIAllInstancesDown"',
      'alertname="APIDown",cause="probe"',
      'alertname="APIDown",scope="instance"',
      'alertname="APIDown",scope="job",cause="scrape"',
      'alertname="ContainerOOMKilled"',
      'alertname="HostFilesystemAlmostFull"',
      'alertname="HostInodesAlmostExhausted"',
      'alertname="PostgresDown"',
    ]);
    // What each one silences is proved on a real Alertmanager (inhibitions.test.ts).
    assert.ok(bySource['alertname="APIDown",scope="instance"']?.equal.includes('instance'));
    const pg = bySource['alertname="PostgresDown"'];
    assert.deepEqual(pg?.target_matchers, ['alertname=~"DatabaseErrors|SlowDatabaseQueries"']);
    for (const rule of rules) {
      assert.ok(rule.equal.includes('environment') && rule.equal.includes('region'), `${rule.source_matchers} crosses environments`);
      for (const m of [...rule.source_matchers, ...rule.target_matchers]) assert.doesNotMatch(m, /^severity/);
    }
  });
});
