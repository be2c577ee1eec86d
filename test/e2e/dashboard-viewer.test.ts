/**
 * The dashboard viewer in Debian's Chromium, on the stack `startStack` runs (the code of
 * `npm start`), after a real user flow through the API: every panel of the Samokoder Overview
 * whose queries return data draws it and every other says "No data" (none unsupported); each
 * stat and gauge shows what Prometheus answers to the same query at the same time; the
 * time-range picker changes the range queried; hovering shows the values; a label value with
 * markup (a database an operator named `<img src=x onerror=alert(1)>`, reported by the real
 * postgres_exporter) shows as text; the console stays clean. It saves a PNG of the overview:
 * DASHBOARD_SCREENSHOT=docs/images/overview.png writes the picture the README shows
 * (`npm run screenshot`).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Page, Request } from 'playwright-core';
import { runTraffic } from '../../src/cli/traffic.ts';
import { DASHBOARDS_DIR, OVERVIEW_UID } from '../../src/monitoring/paths.ts';
import { dashboardQueries, expandVariables, type PanelJson } from '../../src/dashboards/grafana.ts';
import { displayValue } from '../../src/dashboard-viewer/public/display.js';
import { seriesName } from '../../src/dashboard-viewer/public/templating.js';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { waitForData } from '../support/dashboard-data.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const HOSTILE = '<img src=x onerror=alert(1)>';
const ADMIN_TOKEN = 'dashboard-e2e-admin-token';
const overview = JSON.parse(readFileSync(join(DASHBOARDS_DIR, 'samokoder-overview.json'), 'utf8')) as { panels: PanelJson[] };
const panels = overview.panels.filter((p) => p.type !== 'row') as Array<PanelJson & { id: number; title: string; type: string; targets: Array<{ expr: string; legendFormat: string }>; fieldConfig: { defaults: Record<string, unknown> } }>;

let stack: TestStack;
let browser: TestBrowser;
let page: Page;
let errors: string[];
let trafficStarted = 0;
/** Every query the page sent through the proxy: endpoint and form. */
let sent: Array<{ endpoint: string; params: URLSearchParams }> = [];

interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

/** The same request, straight to Prometheus. */
async function prometheus(endpoint: string, params: URLSearchParams): Promise<PromSeries[]> {
  const res = await fetch(`${stack.urls.prometheus}/api/v1/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params });
  const body = (await res.json()) as { status: string; error?: string; data: { result: PromSeries[] } };
  assert.equal(body.status, 'success', `${params.get('query')}: ${body.error}`);
  return body.data.result;
}

/** Matches a query as the page sent it to the target it came from: variables are wildcards. */
function matcher(expr: string): RegExp {
  const parts = expr.split(/\$\{[A-Za-z0-9_]+\}|\$[A-Za-z0-9_]+/);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*?')}$`);
}

/** The requests of the last refresh for `target` of a panel (instant for stat/gauge, range for timeseries). */
function requestsFor(panel: (typeof panels)[number], expr: string): Array<{ endpoint: string; params: URLSearchParams }> {
  const endpoint = panel.type === 'timeseries' ? 'query_range' : 'query';
  const re = matcher(expr);
  return sent.filter((r) => r.endpoint === endpoint && re.test(r.params.get('query') ?? ''));
}

async function waitForCycle(after: number): Promise<void> {
  await page.waitForFunction((n) => document.body.dataset.state === 'ready' && Number(document.body.dataset.cycle) > n, after, { timeout: 60_000 });
}

const cycle = async () => Number(await page.evaluate(() => document.body.dataset.cycle ?? '0'));

before(async () => {
  stack = await startTestStack({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10000', RATE_LIMIT_LOGIN_PER_MINUTE: '10000', ADMIN_TOKEN });
  // An operator's database with markup in its name: postgres_exporter labels its series with it.
  const admin = new pg.Client({ host: join(stack.dataDir, 'postgres'), port: stack.ports.postgres, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${HOSTILE.replace(/"/g, '""')}"`);
  await admin.end();

  trafficStarted = Date.now();
  // A user's own flow first: register, log in, create a project, read it back.
  const post = (path: string, body: unknown, token?: string) =>
    fetch(stack.urls.api + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  const account = { email: 'viewer-e2e@example.com', password: 'a long enough password' };
  assert.equal((await post('/api/v1/auth/register', account)).status, 201);
  const login = await post('/api/v1/auth/login', account);
  assert.equal(login.status, 200);
  const { access_token: token } = (await login.json()) as { access_token: string };
  const created = await post('/api/v1/projects', { name: 'todo', description: 'A todo list app' }, token);
  assert.equal(created.status, 202);
  const { id } = (await created.json()) as { id: string };
  assert.equal((await fetch(`${stack.urls.api}/api/v1/projects/${id}`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  // Then many users at a changing pace, and a spell of LLM failures so the LLM error panels have
  // something to say. For the committed picture the traffic runs longer (fuller graphs).
  // Each phase is bounded by time (the request bound is only a ceiling).
  const seconds = process.env.DASHBOARD_SCREENSHOT ? 60 : 15;
  const first = await runTraffic({ api: stack.urls.api, requests: 100_000, seconds, concurrency: 2 });
  assert.ok(first.projectsCreated > 0, JSON.stringify(first));
  await runTraffic({ api: stack.urls.api, requests: 100_000, seconds, concurrency: 4, adminToken: ADMIN_TOKEN, knobs: { errorRate: 0.2 } });
  await runTraffic({ api: stack.urls.api, requests: 100_000, seconds, concurrency: 1, adminToken: ADMIN_TOKEN, knobs: { errorRate: 0 } });

  // Until Prometheus has data for every query (the 30-day SLO group is evaluated once a minute) and the hostile series.
  const queries = [...dashboardQueries(overview).map((q) => ({ ...q, promql: expandVariables(q.expr) })), { panel: 'hostile', expr: '', promql: `pg_stat_database_numbackends{datname="${HOSTILE}"}` }];
  const empty = await waitForData(stack, queries, 150_000);
  assert.deepEqual(empty.map((q) => `${q.panel}: ${q.promql} ${q.error ?? ''}`), [], 'no data yet');
  // The page will look at a range ending 10 s ago: let that be after every query had data.
  await sleep(12_000);

  browser = await launchBrowser();
  ({ page, errors } = await browser.page(1600, 1000));
  page.on('request', (req: Request) => {
    const m = /\/api\/datasources\/proxy\/uid\/[^/]+\/api\/v1\/(query|query_range)$/.exec(new URL(req.url()).pathname);
    if (m) sent.push({ endpoint: m[1] as string, params: new URLSearchParams(req.postData() ?? '') });
  });
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

test('every panel with data draws it, stats show what Prometheus answers at the same time, a hostile label is text', async () => {
  // An absolute range over the traffic, ending 10 s ago: every sample up to its end is stored,
  // so Prometheus gives the page and this test the same answers.
  const to = Date.now() - 10_000;
  // Auto refresh off (`refresh=`) so each query is sent once; the last test turns it on.
  await page.goto(`${stack.urls.dashboard}/d/${OVERVIEW_UID}?from=${trafficStarted}&to=${to}&refresh=`);
  await waitForCycle(0);
  const file = resolve(process.env.DASHBOARD_SCREENSHOT ?? join(tmpdir(), 'samokoder-overview.png'));
  mkdirSync(dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  process.stdout.write(`# screenshot: ${file}\n`);

  const problems: string[] = [];
  for (const panel of panels) {
    const el = page.locator(`[data-panel-id="${panel.id}"]`);
    const state = await el.getAttribute('data-state');
    const answers = await Promise.all(
      panel.targets.map(async (target) => {
        const requests = requestsFor(panel, target.expr);
        assert.equal(requests.length, 1, `${panel.title}: ${requests.length} requests for ${target.expr}`);
        return { target, result: await prometheus(requests[0]?.endpoint as string, requests[0]?.params as URLSearchParams) };
      }),
    );
    if (panel.type === 'timeseries') {
      const points = answers.reduce((n, a) => n + a.result.reduce((m, s) => m + (s.values ?? []).filter(([, v]) => Number.isFinite(Number(v))).length, 0), 0);
      const expected = points > 0 ? 'drawn' : 'no-data';
      if (state !== expected) problems.push(`${panel.title}: ${state}, Prometheus has ${points} points`);
      if (points > 0) {
        if ((await el.getAttribute('data-points')) !== String(points)) problems.push(`${panel.title}: ${await el.getAttribute('data-points')} points drawn, Prometheus has ${points}`);
        const names = answers.flatMap((a) => a.result.map((s) => seriesName(a.target.legendFormat, s.metric, a.target.expr))).sort();
        const legend = (await el.locator('.legend tbody tr .label').allTextContents()).sort();
        if (JSON.stringify(legend) !== JSON.stringify(names)) problems.push(`${panel.title}: legend ${JSON.stringify(legend)}, series ${JSON.stringify(names)}`);
      }
    } else {
      const expected = answers
        .flatMap((a) => a.result.filter((s) => Number.isFinite(Number(s.value?.[1]))).map((s) => `${seriesName(a.target.legendFormat, s.metric, a.target.expr)} = ${displayValue(Number(s.value?.[1]), panel.fieldConfig.defaults).text}`))
        .sort();
      const shown = (await el.locator('[data-series]').evaluateAll((cells) => cells.map((c) => `${(c as HTMLElement).dataset.series} = ${c.querySelector('.stat-value')?.textContent}`))).sort();
      if (state !== (expected.length ? 'drawn' : 'no-data')) problems.push(`${panel.title}: ${state}, Prometheus has ${expected.length} values`);
      if (JSON.stringify(shown) !== JSON.stringify(expected)) problems.push(`${panel.title}: shows ${JSON.stringify(shown)}, Prometheus says ${JSON.stringify(expected)}`);
    }
  }
  assert.deepEqual(problems, []);
  // Every panel had data here (the wait above), so none may be empty, in error or unsupported.
  const states = await page.locator('.panel').evaluateAll((els) => els.map((e) => `${e.querySelector('h3')?.textContent}: ${(e as HTMLElement).dataset.state}`));
  assert.deepEqual(states.filter((s) => !s.endsWith(': drawn')), []);

  // What was drawn is on the canvases: coloured pixels (series, not the grey grid and text).
  const colourless = await page.locator('.panel-timeseries').evaluateAll((els) =>
    els.flatMap((e) => {
      const canvas = e.querySelector('canvas') as HTMLCanvasElement;
      const { data } = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height);
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) if ((data[i + 3] as number) > 100 && Math.max(data[i] as number, data[i + 1] as number, data[i + 2] as number) - Math.min(data[i] as number, data[i + 1] as number, data[i + 2] as number) > 80) coloured++;
      return coloured > 8 ? [] : [`${e.querySelector('h3')?.textContent}: ${coloured} coloured pixels`];
    }),
  );
  assert.deepEqual(colourless, []);

  // The hostile database name is a legend entry, as characters; no element was made of it.
  const backends = page.locator('section.panel', { has: page.locator('h3', { hasText: 'PostgreSQL Backends' }) });
  assert.ok((await backends.locator('.legend .label').allTextContents()).includes(HOSTILE), 'the hostile label is not shown as text');
  assert.equal(await page.locator('img').count(), 0);

  assert.deepEqual(errors, []);
});

test('hovering a graph shows every series value at the cursor, largest first', async () => {
  const plot = page.locator('section.panel', { has: page.locator('h3', { hasText: 'HTTP Request Rate' }) }).locator('.u-over');
  const box = await plot.boundingBox();
  assert.ok(box);
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
  const tooltip = page.locator('section.panel', { has: page.locator('h3', { hasText: 'HTTP Request Rate' }) }).locator('.tooltip');
  await tooltip.waitFor({ state: 'visible', timeout: 5_000 });
  const rows = await tooltip.locator('.row .num').allTextContents();
  assert.ok(rows.length > 0, 'no values in the tooltip');
  const numbers = rows.map((t) => Number.parseFloat(t));
  assert.deepEqual(numbers, [...numbers].sort((a, b) => b - a), `not sorted: ${rows.join(', ')}`);
  await page.mouse.move(0, 0);
  assert.deepEqual(errors, []);
});

test('the time-range picker changes the range every panel queries', async () => {
  for (const [from, seconds] of [['now-1h', 3_600], ['now-15m', 900]] as const) {
    const before = await cycle();
    sent = [];
    await page.selectOption('#time-range', from);
    await waitForCycle(before);
    assert.match(page.url(), new RegExp(`from=${from}&to=now`));
    const ranges = sent.filter((r) => r.endpoint === 'query_range');
    assert.equal(ranges.length, panels.filter((p) => p.type === 'timeseries').reduce((n, p) => n + p.targets.length, 0));
    for (const r of ranges) {
      const [start, end, step] = ['start', 'end', 'step'].map((k) => Number(r.params.get(k)));
      assert.ok(Math.abs((end as number) - (start as number) - seconds) <= 2 * (step as number), `${from}: range ${(end as number) - (start as number)} s for ${r.params.get('query')}`);
    }
    const instants = sent.filter((r) => r.endpoint === 'query' && !r.params.get('query')?.startsWith('group by'));
    for (const r of instants) assert.ok(Math.abs(Number(r.params.get('time')) - Date.now() / 1000) < 30, `instant query not at now: ${r.params.get('time')}`);
  }
  assert.deepEqual(errors, []);
});

test('auto refresh re-runs the queries on its own', async () => {
  const before = await cycle();
  await page.selectOption('#refresh-interval', '10s');
  assert.match(page.url(), /refresh=10s/);
  await waitForCycle(before);
  await page.selectOption('#refresh-interval', '');
  assert.deepEqual(errors, []);
});

