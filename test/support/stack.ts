/**
 * A whole throwaway local stack for end-to-end tests and benchmarks: started by `startStack` (the
 * code `npm start` runs) on free loopback ports, with its data in a temp dir removed on close,
 * Prometheus on short intervals unless asked for the committed ones (the rules are always the
 * real ones), and the alert printer's lines collected.
 */
import { readFileSync } from 'node:fs';
import { severityTimings as routeTimings } from '../../src/monitoring/alertmanager.ts';
import { globalIntervals, parseDuration, type Intervals } from '../../src/monitoring/durations.ts';
import { freePort } from '../../src/stack/ports.ts';
import { freeServicePorts, type ServiceName } from '../../src/stack/services.ts';
import { parseStackSettings } from '../../src/stack/settings.ts';
import { startStack, type RunningStack } from '../../src/stack/stack.ts';
import { tempDir } from './services.ts';

/** Short enough for tests to take minutes, long enough for two cores running two stacks. */
export const TEST_INTERVALS = { scrape: '2s', evaluation: '2s' } as const;

export interface TestStack extends RunningStack {
  /** Lines the alert printer printed (empty when a channel is configured). */
  printed: string[];
  /** Services that exited without being asked to. */
  crashes: Array<{ service: ServiceName; exit: number | string }>;
  /** Stops the stack and removes its data. */
  close(): Promise<void>;
}

export interface TestStackOptions {
  /** Prometheus' global intervals: {@link TEST_INTERVALS} by default, `committed` for prometheus.yml's (benchmarks of alert latency). */
  intervals?: Intervals | 'committed';
}

/** Starts a test stack; `env` adds configuration (alert channels, SAMOKODER_ENV, ...). */
export async function startTestStack(env: Record<string, string> = {}, options: TestStackOptions = {}): Promise<TestStack> {
  const dir = tempDir('stack');
  const ports = await freeServicePorts();
  const printed: string[] = [];
  const crashes: TestStack['crashes'] = [];
  try {
    const settings = parseStackSettings({
      PATH: process.env.PATH,
      DATA_DIR: dir.path,
      SAMOKODER_ENV: 'test',
      LOG_LEVEL: 'info',
      SIMULATOR_LATENCY_MS: '20',
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/alerts`,
      ...ports,
      ...env,
    });
    const stack = await startStack(settings, {
      prometheusIntervals: options.intervals === 'committed' ? undefined : (options.intervals ?? TEST_INTERVALS),
      onAlert: (line) => printed.push(line),
      onCrash: (service, exit) => crashes.push({ service, exit }),
    });
    return {
      ...stack,
      printed,
      crashes,
      async close() {
        await stack.stop();
        dir.remove();
      },
    };
  } catch (err) {
    dir.remove();
    throw err;
  }
}

/** Global scrape and evaluation intervals of the Prometheus config the stack runs, in milliseconds. */
export function prometheusIntervals(stack: RunningStack): { scrape: number; evaluation: number } {
  const intervals = globalIntervals(stack.prometheusConfigFile);
  return { scrape: parseDuration(intervals.scrape), evaluation: parseDuration(intervals.evaluation) };
}

/** group_wait and group_interval of the route for `severity` in the rendered Alertmanager config, in ms. */
export function severityTimings(stack: RunningStack, severity: string): { groupWait: number; groupInterval: number } {
  const timings = routeTimings(readFileSync(stack.alertmanagerConfigFile, 'utf8'), severity);
  return { groupWait: parseDuration(timings.groupWait), groupInterval: parseDuration(timings.groupInterval) };
}

/** Posts alerts to Alertmanager's v2 API (a stack's, or any `{ urls: { alertmanager } }`); throws unless accepted. */
export async function postAlerts(stack: { urls: { alertmanager: string } }, alerts: Array<{ labels: Record<string, string>; annotations?: Record<string, string> }>): Promise<void> {
  const res = await fetch(`${stack.urls.alertmanager}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  if (res.status !== 200) throw new Error(`Alertmanager refused the alerts: ${res.status} ${await res.text()}`);
}
