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
import { runTraffic } from '../../src/cli/traffic.ts';
import { DASHBOARDS_DIR } from '../../src/monitoring/paths.ts';
import { dashboardQueries, expandVariables, type PanelJson } from '../../src/dashboards/grafana.ts';
import { waitForData } from '../support/dashboard-data.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const dashboard = JSON.parse(readFileSync(join(DASHBOARDS_DIR, 'samokoder-overview.json'), 'utf8')) as { panels: PanelJson[] };
const queries = dashboardQueries(dashboard);

let stack: TestStack;

before(async () => {
  stack = await startTestStack({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10000', RATE_LIMIT_LOGIN_PER_MINUTE: '10000' });
  const summary = await runTraffic({ api: stack.urls.api, requests: 300, seconds: 60, concurrency: 4 });
  assert.ok(summary.projectsCreated > 0, JSON.stringify(summary));
});

after(() => stack?.close());

test('every dashboard query runs without error and returns data on the live stack', async () => {
  assert.ok(queries.length >= 30);
  // The 30-day SLO series are recorded by a group evaluated once a minute: allow two rounds.
  const empty = await waitForData(stack, queries.map((q) => ({ ...q, promql: expandVariables(q.expr) })), 150_000);
  assert.deepEqual(
    empty.map((q) => `${q.panel}: ${q.promql}${q.error ? `: ${q.error}` : ''}`),
    [],
    'queries that fail or have no data (empty panels)',
  );
});
