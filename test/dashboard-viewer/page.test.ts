/**
 * The dashboard viewer's page in Debian's Chromium, for what the overview never shows once it has
 * traffic: a panel whose query returns nothing says "No data" (timeseries, stat and gauge alike),
 * and a panel type or unit the viewer does not implement shows a visible "unsupported" notice on
 * the panel instead of being drawn wrongly (a dashboard-wide one in a banner). A panel with data beside
 * them is drawn. The dashboard is a copy of the overview's panels with their queries or types
 * changed, served from a directory of its own as Grafana's file provider would.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DASHBOARDS_DIR, OVERVIEW_UID } from '../../src/monitoring/paths.ts';
import { startViewer, type Viewer } from '../../src/dashboard-viewer/viewer.ts';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { startSelfScrapingPrometheus, type RunningServer } from '../support/prometheus.ts';
import { tempDir } from '../support/services.ts';

type Panel = Record<string, unknown> & { id: number; type: string; title: string; targets?: Array<Record<string, unknown>>; fieldConfig?: { defaults: Record<string, unknown> } };

const dir = tempDir('viewer-page');
const UID = 'viewer-page-test';
let prometheus: RunningServer;
let viewer: Viewer;
let browser: TestBrowser;

const overview = JSON.parse(readFileSync(join(DASHBOARDS_DIR, `${OVERVIEW_UID}.json`), 'utf8')) as { panels: Panel[] } & Record<string, unknown>;
const first = (type: string) => overview.panels.find((p) => p.type === type) as Panel;

/** The overview's first panel of `type` as panel `id` at grid cell `n`, with one query `expr`. */
function panel(type: string, id: number, n: number, title: string, expr: string, change: (p: Panel) => void = () => {}): Panel {
  const p = structuredClone(first(type));
  Object.assign(p, { id, title, gridPos: { x: (n % 4) * 6, y: 1 + Math.floor(n / 4) * 6, w: 6, h: 6 } });
  p.targets = [{ ...(p.targets?.[0] ?? {}), refId: 'A', expr }];
  change(p);
  return p;
}

const NOTHING = 'samokoder_viewer_test_no_such_metric';
const PANELS = {
  emptyStat: panel('stat', 101, 0, 'Empty stat', `${NOTHING}{job="nothing"}`),
  emptyGauge: panel('gauge', 102, 1, 'Empty gauge', NOTHING),
  emptyGraph: panel('timeseries', 103, 2, 'Empty graph', `rate(${NOTHING}_total[$__rate_interval])`),
  withData: panel('stat', 104, 3, 'Prometheus up', 'up{job="prometheus"}'),
  otherType: panel('stat', 105, 4, 'A pie chart', 'up', (p) => (p.type = 'piechart')),
  otherUnit: panel('stat', 106, 5, 'Furlongs', 'up', (p) => ((p.fieldConfig as { defaults: Record<string, unknown> }).defaults.unit = 'furlongs')),
};

before(async () => {
  prometheus = await startSelfScrapingPrometheus(dir.path);
  const dashboards = join(dir.path, 'dashboards');
  mkdirSync(dashboards);
  const row = { ...structuredClone(overview.panels.find((p) => p.type === 'row') as Panel), id: 100, title: 'Edge cases', gridPos: { x: 0, y: 0, w: 24, h: 1 } };
  // Dashboard links (Grafana's link bar) are not implemented: a dashboard-wide notice.
  const links = [{ type: 'link', title: 'Runbooks', url: 'https://example.com/runbooks' }];
  writeFileSync(join(dashboards, `${UID}.json`), JSON.stringify({ ...overview, uid: UID, title: 'Viewer page test', links, panels: [row, ...Object.values(PANELS)] }));
  viewer = await startViewer(0, prometheus.url, { dashboardsDir: dashboards });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await viewer?.close();
  await prometheus?.process.stop();
  dir.remove();
});

test('a query that returns nothing says "No data"; an unimplemented panel type or unit is a visible notice; a panel with data is drawn', async () => {
  const { page, errors } = await browser.page();
  await page.goto(`${viewer.url}/d/${UID}?from=now-15m&to=now&refresh=`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready' && Number(document.body.dataset.cycle) > 0, undefined, { timeout: 30_000 });
  const shown = async (p: Panel) => {
    const el = page.locator(`[data-panel-id="${p.id}"]`);
    return { state: await el.getAttribute('data-state'), text: await el.innerText() };
  };

  for (const p of [PANELS.emptyStat, PANELS.emptyGauge, PANELS.emptyGraph]) {
    const { state, text } = await shown(p);
    assert.equal(state, 'no-data', `${p.title}: ${state}`);
    assert.match(text, /No data/, `${p.title} shows: ${text}`);
    assert.ok(await page.locator(`[data-panel-id="${p.id}"] .no-data`).isVisible(), `${p.title}: "No data" is not visible`);
  }

  const up = await shown(PANELS.withData);
  assert.equal(up.state, 'drawn', `${PANELS.withData.title}: ${up.state}`);
  assert.doesNotMatch(up.text, /No data|Unsupported/);
  assert.match(up.text, /UP/, 'the value mapping of the copied stat shows 1 as UP');

  const pie = await shown(PANELS.otherType);
  assert.equal(pie.state, 'unsupported');
  assert.match(pie.text, /Unsupported: .*panel type "piechart" is not implemented/);
  const furlongs = await shown(PANELS.otherUnit);
  assert.equal(furlongs.state, 'unsupported');
  assert.match(furlongs.text, /Unsupported: .*furlongs/);
  // What the whole dashboard uses and the viewer does not implement: a banner above the panels.
  const banner = page.locator('.unsupported.banner');
  assert.ok(await banner.isVisible(), 'no banner naming what is unsupported');
  assert.match(await banner.innerText(), /Unsupported in this viewer: .*links/);

  assert.deepEqual(errors, []);
});
