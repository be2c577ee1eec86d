/**
 * Every query of the committed "Samokoder Overview" dashboard, as Grafana sends it (variables
 * filled in, instance = All), against the real local stack's Prometheus after `traffic`: each runs
 * without error and returns data, so no panel is left empty. The JSON Grafana loads is what is
 * read here, not the generator.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runTraffic } from '../../src/cli/traffic.ts';
import { DASHBOARDS_DIR } from '../../src/dashboards/generate.ts';
import { dashboardQueries, expandVariables, type PanelJson } from '../../src/dashboards/grafana.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const dashboard = JSON.parse(readFileSync(join(DASHBOARDS_DIR, 'samokoder-overview.json'), 'utf8')) as { panels: PanelJson[] };
const queries = dashboardQueries(dashboard);

let stack: TestStack;

async function query(promql: string): Promise<{ error?: string; samples: number }> {
  const res = await fetch(`${stack.urls.prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  return body.status === 'success' ? { samples: body.data?.result.length ?? 0 } : { error: body.error, samples: 0 };
}

before(async () => {
  stack = await startTestStack({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10000', RATE_LIMIT_LOGIN_PER_MINUTE: '10000' });
  const summary = await runTraffic({ api: stack.urls.api, requests: 300, seconds: 60, concurrency: 4 });
  assert.ok(summary.projectsCreated > 0, JSON.stringify(summary));
});

after(() => stack?.close());

test('every dashboard query runs without error and returns data on the live stack', async () => {
  assert.ok(queries.length >= 30);
  // The 30-day SLO series are recorded by a group evaluated once a minute: allow two rounds.
  const deadline = Date.now() + 150_000;
  let pending = queries.map((q) => ({ ...q, promql: expandVariables(q.expr), last: { samples: 0 } as { error?: string; samples: number } }));
  while (pending.length > 0) {
    for (const q of pending) {
      q.last = await query(q.promql);
      assert.equal(q.last.error, undefined, `${q.panel}: ${q.promql}: ${q.last.error}`);
    }
    pending = pending.filter((q) => q.last.samples === 0);
    if (pending.length === 0 || Date.now() > deadline) break;
    // Keep some traffic flowing so rates over the last minute stay defined.
    await runTraffic({ api: stack.urls.api, requests: 40, seconds: 5, concurrency: 2 });
    await sleep(2_000);
  }
  assert.deepEqual(
    pending.map((q) => `${q.panel}: ${q.promql}`),
    [],
    'queries with no data (empty panels)',
  );
});
