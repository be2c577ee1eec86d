/**
 * Waiting until a live stack's Prometheus has data for every query of a dashboard, with traffic
 * flowing meanwhile so that rates over the last minute stay defined: the e2e tests of the
 * dashboard queries and of the dashboard viewer both start from there.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runTraffic } from '../../src/cli/traffic.ts';
import type { RunningStack } from '../../src/stack/stack.ts';
import { instantQuery } from './prometheus.ts';

/**
 * Polls `queries` until each returns data or `timeoutMs` passes; returns the ones still empty.
 * A query that fails is returned at once with its error (a broken query never gets data).
 */
export async function waitForData<Q extends { promql: string }>(stack: RunningStack, queries: Q[], timeoutMs: number): Promise<Array<Q & { error?: string }>> {
  const deadline = Date.now() + timeoutMs;
  let pending: Array<Q & { error?: string }> = queries.map((q) => ({ ...q }));
  for (;;) {
    const outcomes = await Promise.all(pending.map((q) => instantQuery(stack.urls.prometheus, q.promql).then((samples) => ({ samples: samples.length, error: undefined }), (err: Error) => ({ samples: 0, error: err.message }))));
    const failed = pending.flatMap((q, i) => (outcomes[i]?.error ? [{ ...q, error: outcomes[i]?.error }] : []));
    if (failed.length) return failed;
    pending = pending.filter((_, i) => outcomes[i]?.samples === 0);
    if (pending.length === 0 || Date.now() > deadline) return pending;
    // Keep some traffic flowing so rates over the last minute stay defined.
    await runTraffic({ api: stack.urls.api, requests: 40, seconds: 5, concurrency: 2 });
    await sleep(2_000);
  }
}
