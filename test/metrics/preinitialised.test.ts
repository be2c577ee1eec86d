// A fresh API (no request served yet) already exports every series the rules and the dashboards
// read, for every label set known in advance, so the first event of each moves rate(). The
// expected user routes are the API's contract (README): a new route must be added here, and the
// exposition must hold exactly these.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dashboardQueries, expandVariables, type PanelJson } from '../../src/dashboards/grafana.ts';
import { DASHBOARDS_DIR } from '../../src/monitoring/paths.ts';
import { generatedDashboards } from '../../src/dashboards/generate.ts';
import { AUTH_RESULTS, DB_ERROR_TYPES, DB_OPERATIONS, exportedSeriesNames, FAILURE_STATUSES, LLM_ERROR_TYPES, TOKEN_TYPES } from '../../src/metrics/catalogue.ts';
import { COMPLEXITIES, LLM_AGENTS, USER_TIERS } from '../../src/domain.ts';
import { listAlerts, listRecordingRules, sourceMetrics } from '../../src/monitoring/rules.ts';
import { sampleValue, startTestApi, type TestApi } from '../support/api.ts';

/** The user routes, and the rate limit each one is guarded by. */
const USER_ROUTES = [
  { method: 'POST', endpoint: '/api/v1/auth/register', limit: 'anonymous' },
  { method: 'POST', endpoint: '/api/v1/auth/login', limit: 'login' },
  { method: 'POST', endpoint: '/api/v1/projects', limit: 'user' },
  { method: 'GET', endpoint: '/api/v1/projects', limit: 'user' },
  { method: 'GET', endpoint: '/api/v1/projects/:id', limit: 'user' },
] as const;

let api: TestApi;
let exposition: string;
before(async () => {
  api = await startTestApi({ LLM_PROVIDER: 'simulator' });
  // The registry as Prometheus' first scrape sees it, before any request was counted.
  exposition = await api.deps.metrics.registry.metrics();
});
after(() => api.close());

/** Whether the exposition has a sample of `name` whose labels include `labels`. */
const has = (name: string, labels: Record<string, string> = {}) => sampleValue(exposition, name, labels) !== undefined;

test('every samokoder series that an alert, a recording rule or a panel reads exists before the first request', () => {
  const catalogue = exportedSeriesNames();
  const rules = [...listAlerts(), ...listRecordingRules()].map((r) => r.expr);
  const panels = generatedDashboards().flatMap(({ file }) =>
    dashboardQueries(JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as { panels: PanelJson[] }).map((q) => expandVariables(q.expr)),
  );
  const read = new Set([...rules, ...panels].flatMap((expr) => sourceMetrics(expr)).filter((m) => catalogue.has(m)));
  assert.ok(read.size > 15, `only ${read.size} catalogue series found in the rules and panels`);
  const missing = [...read].filter((name) => !has(name));
  assert.deepEqual(missing, [], `read by rules or panels but not exported by a fresh API: ${missing.join(', ')}`);
});

test('every user route has its failure series at 0, its histogram and its in-progress gauge; probes have none', () => {
  for (const { method, endpoint } of USER_ROUTES) {
    for (const status of FAILURE_STATUSES) {
      assert.equal(sampleValue(exposition, 'samokoder_http_requests_total', { method, endpoint, status: String(status) }), 0, `${method} ${endpoint} ${status}`);
    }
    assert.equal(sampleValue(exposition, 'samokoder_http_request_duration_seconds_count', { method, endpoint }), 0, `${method} ${endpoint} duration`);
    assert.equal(sampleValue(exposition, 'samokoder_http_requests_in_progress', { method, endpoint }), 0, `${method} ${endpoint} in progress`);
  }
  const endpoints = new Set([...exposition.matchAll(/^samokoder_http_requests_total\{[^}]*endpoint="([^"]*)"/gm)].map((m) => m[1]));
  assert.deepEqual([...endpoints].sort(), [...new Set(USER_ROUTES.map((r) => r.endpoint))].sort(), 'the user routes of the exposition are the listed ones');
});

test('every guarded route has its rate-limit hits at 0, for its own limit type only', () => {
  for (const { endpoint, limit } of USER_ROUTES) {
    assert.equal(sampleValue(exposition, 'samokoder_rate_limit_hits_total', { endpoint, limit_type: limit }), 0, `${endpoint} ${limit}`);
  }
  const pairs = [...exposition.matchAll(/^samokoder_rate_limit_hits_total\{(.*)\} /gm)].length;
  assert.equal(pairs, new Set(USER_ROUTES.map((r) => `${r.endpoint} ${r.limit}`)).size);
  assert.equal(sampleValue(exposition, 'samokoder_rate_limit_degraded_total'), 0);
});

test('business, LLM, database and auth label sets exist at 0', () => {
  const zero = (name: string, labels: Record<string, string>) => assert.equal(sampleValue(exposition, name, labels), 0, `${name} ${JSON.stringify(labels)}`);
  for (const user_tier of USER_TIERS) zero('samokoder_projects_created_total', { user_tier });
  for (const complexity of COMPLEXITIES) zero('samokoder_projects_generation_duration_seconds_count', { complexity });
  for (const agent of LLM_AGENTS) zero('samokoder_llm_requests_total', { provider: 'simulator', agent });
  for (const error_type of LLM_ERROR_TYPES) zero('samokoder_llm_request_errors_total', { provider: 'simulator', error_type });
  for (const token_type of TOKEN_TYPES) zero('samokoder_llm_tokens_consumed_total', { provider: 'simulator', token_type });
  zero('samokoder_llm_request_duration_seconds_count', { provider: 'simulator' });
  // Migrations ran queries already: these exist, not necessarily at 0.
  for (const operation of DB_OPERATIONS) assert.ok(has('samokoder_db_query_duration_seconds_count', { operation }), operation);
  for (const error_type of DB_ERROR_TYPES) zero('samokoder_db_errors_total', { error_type });
  for (const result of AUTH_RESULTS) zero('samokoder_auth_attempts_total', { result });
});

test('the disk path readable gauge exists per configured path: 1 when it can be read, 0 when not', async () => {
  assert.equal(sampleValue(exposition, 'samokoder_system_disk_readable', { path: '/' }), 1);
  const other = await startTestApi({ DISK_PATHS: '/,/no/such/path' });
  try {
    const text = await other.deps.metrics.registry.metrics();
    assert.equal(sampleValue(text, 'samokoder_system_disk_readable', { path: '/' }), 1);
    assert.equal(sampleValue(text, 'samokoder_system_disk_readable', { path: '/no/such/path' }), 0);
    assert.equal(sampleValue(text, 'samokoder_system_disk_usage_bytes', { path: '/no/such/path' }), undefined);
    assert.ok(has('samokoder_system_disk_usage_bytes', { path: '/', type: 'free' }));
  } finally {
    await other.close();
  }
});
