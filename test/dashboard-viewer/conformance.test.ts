/**
 * Conformance of the dashboard viewer with the dashboards it draws: every panel type, unit,
 * option, value and variable used anywhere in the committed JSON — and in what the generator
 * emits now — is one the viewer implements (public/support.js, the checker the page itself uses
 * for its "unsupported" notices). Each kind of unsupported feature added to a generated
 * dashboard is caught, named with its path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generatedDashboards } from '../../src/dashboards/generate.ts';
import { allProblems, panelProblems } from '../../src/dashboard-viewer/public/support.js';
import { loadDashboards } from '../../src/dashboard-viewer/sources.ts';

const generated = generatedDashboards().map((d) => ({ file: d.file, dashboard: JSON.parse(d.json) as Record<string, any> }));

test('every committed dashboard uses only what the viewer implements', () => {
  const dashboards = loadDashboards();
  assert.ok(dashboards.length >= 1);
  for (const dashboard of dashboards) assert.deepEqual(allProblems(dashboard), [], dashboard.title);
});

test('what the generator emits now uses only what the viewer implements', () => {
  for (const { file, dashboard } of generated) assert.deepEqual(allProblems(dashboard), [], file);
});

/** The overview with one change made by `edit`; returns the problems the checker finds. */
function problemsAfter(edit: (dashboard: Record<string, any>) => void): string[] {
  const dashboard = structuredClone(generated[0]?.dashboard) as Record<string, any>;
  edit(dashboard);
  return allProblems(dashboard);
}
const panel = (d: Record<string, any>, type: string) => d.panels.find((p: { type: string }) => p.type === type);

test('an unsupported panel type, unit, option, value or variable is named', () => {
  const cases: Array<[string, (d: Record<string, any>) => void, RegExp]> = [
    ['panel type', (d) => (panel(d, 'stat').type = 'piechart'), /panel type "piechart" is not implemented/],
    ['unit', (d) => (panel(d, 'timeseries').fieldConfig.defaults.unit = 'celsius'), /fieldConfig\.defaults\.unit: "celsius" is not implemented/],
    ['option', (d) => (panel(d, 'timeseries').options.legend.placement = 'right'), /options\.legend\.placement: "right" is not implemented/],
    ['unknown option', (d) => (panel(d, 'stat').options.wideLayout = true), /options\.wideLayout is not implemented/],
    ['custom field option', (d) => (panel(d, 'timeseries').fieldConfig.defaults.custom.gradientMode = 'opacity'), /custom\.gradientMode is not implemented/],
    ['draw style', (d) => (panel(d, 'timeseries').fieldConfig.defaults.custom.drawStyle = 'bars'), /drawStyle: "bars" is not implemented/],
    ['override', (d) => (panel(d, 'timeseries').fieldConfig.overrides = [{ matcher: { id: 'byName', options: 'x' }, properties: [] }]), /overrides: .* is not implemented/],
    ['legend calculation', (d) => (panel(d, 'timeseries').options.legend.calcs = ['p95']), /calcs\[0\]: "p95" is not implemented/],
    ['stat sparkline', (d) => (panel(d, 'stat').options.graphMode = 'area'), /graphMode: "area" is not implemented/],
    ['range query in a stat', (d) => Object.assign(panel(d, 'stat').targets[0], { instant: false, range: true }), /targets\[0\]\.instant: false is not implemented/],
    ['collapsed row', (d) => (panel(d, 'row').collapsed = true), /collapsed: true is not implemented/],
    ['variable type', (d) => d.templating.list.push({ name: 'env', type: 'custom', query: 'a,b' }), /templating\.list\[2\]\.type: "custom" is not implemented/],
    ['variable query', (d) => (d.templating.list[1].query.query = 'query_result(up)'), /query: "query_result\(up\)" is not implemented/],
    ['undefined variable', (d) => (panel(d, 'timeseries').targets[0].expr += ' * $scale'), /variable \$scale is not defined/],
    ['variable format', (d) => (panel(d, 'timeseries').targets[0].expr = 'up{instance=~"${instance:csv}"}'), /variable formats/],
    ['shared tooltip', (d) => (d.graphTooltip = 2), /graphTooltip: 2 is not implemented/],
    ['dashboard links', (d) => (d.links = [{ title: 'x', url: 'https://example.com' }]), /dashboard\.links: .* is not implemented/],
    ['threshold mode', (d) => (panel(d, 'gauge').fieldConfig.defaults.thresholds.mode = 'percentage'), /thresholds\.mode: "percentage" is not implemented/],
    ['mapping type', (d) => (panel(d, 'stat').fieldConfig.defaults.mappings = [{ type: 'range', options: { from: 0, to: 1, result: { text: 'low' } } }]), /mappings\[0\]\.type: "range" is not implemented/],
  ];
  for (const [name, edit, expected] of cases) {
    const problems = problemsAfter(edit);
    assert.ok(problems.some((p) => expected.test(p)), `${name}: ${JSON.stringify(problems)}`);
  }
});

test("a panel's problems are its own: the rest of the dashboard still draws", () => {
  const dashboard = structuredClone(generated[0]?.dashboard) as Record<string, any>;
  panel(dashboard, 'gauge').fieldConfig.defaults.unit = 'celsius';
  const problems = dashboard.panels.map((p: unknown) => panelProblems(p, dashboard).length);
  assert.equal(problems.filter((n: number) => n > 0).length, 1);
});
