/**
 * Benchmark 5, alert latency on the whole local stack with the committed intervals: (a) a critical
 * alert posted to Alertmanager's v2 API, from the POST to the Telegram double receiving it
 * (theoretical minimum: the critical route's group_wait), repeated; (b) APIDown, from killing the
 * API (SIGKILL) to the message, repeated `kills` times (the API restarted, and the resolved
 * message awaited, between kills so each kill starts a fresh alert group). (a)'s goal: within one
 * evaluation interval plus group_wait of its minimum. (b)'s goal: the median within the worst
 * case the configuration allows (`apiDownWorstCaseMs`, the bound `npm start` tells the user): a
 * failed scrape, the evaluation that sees it, `for`, the evaluation that fires, group_wait. Every
 * figure is computed from the configs the stack runs.
 */
import { alertFor } from '../src/monitoring/rules.ts';
import { apiDownWorstCaseMs } from '../src/stack/stack.ts';
import { postAlerts, severityTimings } from '../test/support/stack.ts';
import type { SentMessage } from '../test/support/telegram-double.ts';
import type { BenchStack } from './bench-stack.ts';
import { log, median, round } from './lib.ts';

export interface AlertLatencyResult {
  intervals: { scrapeS: number; evaluationS: number; criticalGroupWaitS: number; criticalGroupIntervalS: number; apiDownForS: number };
  posted: { delaysS: number[]; medianS: number; minimumS: number; goalS: number; meetsGoal: boolean };
  apiDown: { delivered: string[]; delaysS: number[]; medianS: number; minimumS: number; worstCaseS: number; meetsGoal: boolean };
}

const isApiDown = (m: SentMessage) => /APIDown|APIAllInstancesDown/.test(m.text);

/** Runs (b) `kills` times and, while the first APIDown is pending, (a) `posted` times one after another. */
export async function runAlertLatency(bench: BenchStack, { posted = 3, kills = 3 } = {}): Promise<AlertLatencyResult> {
  const { stack, telegram, intervals } = bench;
  const { groupWait, groupInterval } = severityTimings(stack, 'critical');
  const forMs = alertFor('APIDown', 'api.yml');
  const worstCase = apiDownWorstCaseMs(stack);
  const slack = 120_000; // waiting bound beyond the worst case; the figure is what counts

  const postedDelays: number[] = [];
  const postCritical = async () => {
    for (let k = 1; k <= posted; k++) {
      const name = `BenchCritical${k}`;
      const t0 = Date.now();
      await postAlerts(stack, [{ labels: { alertname: name, severity: 'critical', component: 'bench' }, annotations: { summary: `${name} summary`, description: 'posted by the benchmark' } }]);
      await telegram.waitForMessages(1, groupWait + slack, (m) => m.text.includes(name));
      postedDelays.push((Date.now() - t0) / 1000);
      log(`alert latency: posted critical ${k}/${posted}: ${postedDelays.at(-1)?.toFixed(1)} s`);
    }
  };

  const delays: number[] = [];
  const delivered: string[] = [];
  for (let k = 1; k <= kills; k++) {
    process.kill(stack.service('api').process.pid, 'SIGKILL');
    const killedAt = Date.now();
    // APIAllInstancesDown (same `for`) inhibits APIDown when every instance is down; with a single
    // instance the rules keep APIDown, but either message is the fault reaching Telegram.
    const firing = telegram.waitForMessages(k, worstCase + slack, (m) => isApiDown(m) && m.text.includes('FIRING'));
    if (k === 1) await postCritical();
    const message = (await firing)[k - 1];
    delays.push((Date.now() - killedAt) / 1000);
    delivered.push(/APIAllInstancesDown/.test(message?.text ?? '') ? 'APIAllInstancesDown' : 'APIDown');
    log(`alert latency: kill ${k}/${kills}: ${delivered.at(-1)} ${delays.at(-1)?.toFixed(1)} s after it (worst case ${worstCase / 1000} s)`);
    await stack.service('api').restart();
    // The resolved message ends the alert group, so the next kill is timed from group_wait again.
    await telegram.waitForMessages(k, intervals.scrape + 2 * intervals.evaluation + groupInterval + slack, (m) => isApiDown(m) && m.text.includes('RESOLVED'));
  }

  const s = (ms: number) => round(ms / 1000, 1);
  const postedMin = groupWait;
  const allowance = intervals.evaluation + groupWait;
  return {
    intervals: { scrapeS: s(intervals.scrape), evaluationS: s(intervals.evaluation), criticalGroupWaitS: s(groupWait), criticalGroupIntervalS: s(groupInterval), apiDownForS: s(forMs) },
    posted: { delaysS: postedDelays.map((d) => round(d, 1)), medianS: round(median(postedDelays), 1), minimumS: s(postedMin), goalS: s(postedMin + allowance), meetsGoal: median(postedDelays) * 1000 <= postedMin + allowance },
    apiDown: {
      delivered,
      delaysS: delays.map((d) => round(d, 1)),
      medianS: round(median(delays), 1),
      minimumS: s(forMs + groupWait),
      worstCaseS: s(worstCase),
      meetsGoal: median(delays) * 1000 <= worstCase,
    },
  };
}
