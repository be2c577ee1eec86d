/**
 * The running Prometheus of the local stack, seen through its HTTP API: its active targets, and
 * the wait until every one of them is up (the stack is started only then).
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** A target as Prometheus' /api/v1/targets reports it. */
export interface TargetState {
  job: string;
  instance: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  scrapeUrl: string;
}

/** The active targets of the Prometheus at `url`. */
export async function fetchTargets(url: string): Promise<TargetState[]> {
  const res = await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}/api/v1/targets answered ${res.status}`);
  const body = (await res.json()) as { data: { activeTargets: Array<{ labels: Record<string, string>; health: TargetState['health']; lastError: string; scrapeUrl: string }> } };
  return body.data.activeTargets.map((t) => ({ job: t.labels.job ?? '', instance: t.labels.instance ?? '', health: t.health, lastError: t.lastError, scrapeUrl: t.scrapeUrl }));
}

/**
 * Resolves once Prometheus at `url` has `expected` active targets, all up; throws after
 * `timeoutMs` naming the targets that are not.
 */
export async function waitForTargetsUp(url: string, expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: TargetState[] = [];
  while (Date.now() < deadline) {
    last = await fetchTargets(url).catch(() => last);
    if (last.length === expected && last.every((t) => t.health === 'up')) return;
    await sleep(250);
  }
  const down = last.filter((t) => t.health !== 'up').map((t) => `${t.job} (${t.scrapeUrl}): ${t.health}${t.lastError ? `, ${t.lastError}` : ''}`);
  throw new Error(`Prometheus targets not up within ${timeoutMs / 1000}s: ${down.length ? down.join('; ') : `${last.length} of ${expected} targets discovered`}`);
}
