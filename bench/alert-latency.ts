/**
 * Benchmark 5, alert latency on the whole local stack with the committed intervals: (a) a critical
 * alert posted to Alertmanager's v2 API, from the POST to the Telegram double receiving it
 * (theoretical minimum: the critical route's group_wait), repeated; (b) APIDown, from killing the
 * API (SIGKILL) to the message (theoretical minimum: the rule's `for` plus group_wait, when the
 * failed scrape and the evaluation fall right after the kill). The goal: each delay within one
 * evaluation interval plus group_wait of its minimum. Every figure is computed from the configs
 * the stack runs. (b) is measured once per run: it takes over a minute.
 */
import { alertFor } from '../src/monitoring/rules.ts';
import { postAlerts, severityTimings } from '../test/support/stack.ts';
import type { BenchStack } from './bench-stack.ts';
import { log, median, round } from './lib.ts';

export interface AlertLatencyResult {
  intervals: { scrapeS: number; evaluationS: number; criticalGroupWaitS: number; apiDownForS: number };
  posted: { delaysS: number[]; medianS: number; minimumS: number; goalS: number; meetsGoal: boolean };
  apiDown: { delivered: string; delayS: number; minimumS: number; worstExpectedS: number; goalS: number; meetsGoal: boolean };
}

/** Runs (b) and, while APIDown is pending, (a) `posted` times one after another. */
export async function runAlertLatency(bench: BenchStack, { posted = 3 } = {}): Promise<AlertLatencyResult> {
  const { stack, telegram, intervals } = bench;
  const { groupWait } = severityTimings(stack, 'critical');
  const forMs = alertFor('APIDown', 'api.yml');
  const slack = 120_000; // waiting bound beyond the worst expected delay; the figure is what counts

  const api = stack.service('api').process;
  process.kill(api.pid, 'SIGKILL');
  const killedAt = Date.now();
  // APIAllInstancesDown (same `for`) inhibits APIDown when every instance is down; with a single
  // instance the rules keep APIDown, but either message is the fault reaching Telegram.
  const apiDownMessage = telegram.waitForMessages(1, intervals.scrape + 2 * intervals.evaluation + forMs + groupWait + slack, (m) => /APIDown|APIAllInstancesDown/.test(m.text) && m.text.includes('FIRING'));

  const delays: number[] = [];
  for (let k = 1; k <= posted; k++) {
    const name = `BenchCritical${k}`;
    const t0 = Date.now();
    await postAlerts(stack, [{ labels: { alertname: name, severity: 'critical', component: 'bench' }, annotations: { summary: `${name} summary`, description: 'posted by the benchmark' } }]);
    await telegram.waitForMessages(1, groupWait + slack, (m) => m.text.includes(name));
    delays.push((Date.now() - t0) / 1000);
    log(`alert latency: posted critical ${k}/${posted}: ${delays[delays.length - 1]?.toFixed(1)} s`);
  }
  const [message] = await apiDownMessage;
  const delivered = /APIAllInstancesDown/.test(message?.text ?? '') ? 'APIAllInstancesDown' : 'APIDown';
  const apiDownDelay = (Date.now() - killedAt) / 1000;
  log(`alert latency: ${delivered} ${apiDownDelay.toFixed(1)} s after the kill`);

  const s = (ms: number) => round(ms / 1000, 1);
  const postedMin = groupWait;
  const apiDownMin = forMs + groupWait;
  const allowance = intervals.evaluation + groupWait;
  return {
    intervals: { scrapeS: s(intervals.scrape), evaluationS: s(intervals.evaluation), criticalGroupWaitS: s(groupWait), apiDownForS: s(forMs) },
    posted: { delaysS: delays.map((d) => round(d, 1)), medianS: round(median(delays), 1), minimumS: s(postedMin), goalS: s(postedMin + allowance), meetsGoal: median(delays) * 1000 <= postedMin + allowance },
    apiDown: {
      delivered,
      delayS: round(apiDownDelay, 1),
      minimumS: s(apiDownMin),
      worstExpectedS: s(intervals.scrape + 2 * intervals.evaluation + forMs + groupWait),
      goalS: s(apiDownMin + allowance),
      meetsGoal: apiDownDelay * 1000 <= apiDownMin + allowance,
    },
  };
}
