/**
 * The viewer's Grafana semantics without a browser: units formatted as Grafana's
 * `getValueFormat(unit)(value, decimals)` prints them, value mappings and threshold colours,
 * the panel interval, step, aligned range and `$__rate_interval` / `$__interval` / `$__range`
 * of Grafana's Prometheus datasource, and variable values as Grafana puts them into PromQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLORS, displayValue, reduce, thresholdColor } from '../../src/dashboard-viewer/public/display.js';
import { interpolate, labelValuesQuery, parseLabelValues, promqlValue, seriesName } from '../../src/dashboard-viewer/public/templating.js';
import { queryTiming, resolveTime, roundInterval } from '../../src/dashboard-viewer/public/time.js';
import { formatValue } from '../../src/dashboard-viewer/public/units.js';

test("units and decimals as Grafana's value formats print them", () => {
  const cases: Array<[number, string, number | undefined, string]> = [
    [0.0123, 'percentunit', 2, '1.23%'],
    [0.0123, 'percentunit', undefined, '1.23%'],
    [-0.5, 'none', undefined, '-0.50'],
    [0.5, 'none', undefined, '0.500'],
    [0.999, 'percentunit', 3, '99.900%'],
    [1, 'percentunit', 1, '100.0%'],
    [42.5, 'percent', undefined, '42.5%'],
    [73, 'percent', undefined, '73%'],
    [0.0421, 's', undefined, '42.1 ms'],
    [0.0005, 's', undefined, '500 µs'],
    [2.5, 's', undefined, '2.50 s'],
    [90, 's', undefined, '1.50 min'],
    [7200, 's', undefined, '2 hour'],
    [0, 's', undefined, '0 s'],
    [12.345, 'reqps', undefined, '12.3 req/s'],
    [1500, 'reqps', undefined, '1.50K req/s'],
    [0.25, 'ops', undefined, '0.250 ops/s'],
    [1234, 'short', undefined, '1.23 K'],
    [5_000_000, 'short', undefined, '5 Mil'],
    [3, 'short', undefined, '3'],
    [1536, 'bytes', undefined, '1.50 KiB'],
    [512, 'bytes', undefined, '512 B'],
    [1, 'none', undefined, '1'],
    [0.1, 'none', undefined, '0.100'],
  ];
  for (const [value, unit, decimals, expected] of cases) assert.equal(formatValue(value, unit, decimals), expected, `${value} ${unit} ${decimals}`);
  assert.throws(() => formatValue(1, 'celsius', undefined), /not implemented/);
});

test('value mappings win over the unit; thresholds colour from the highest step at or below the value', () => {
  const upDown = { unit: 'none', mappings: [{ type: 'value', options: { 1: { text: 'UP', color: 'green', index: 0 }, 0: { text: 'DOWN', color: 'red', index: 0 } } }], thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }] } };
  assert.deepEqual(displayValue(1, upDown), { text: 'UP', color: COLORS.green });
  assert.deepEqual(displayValue(0, upDown), { text: 'DOWN', color: COLORS.red });
  assert.deepEqual(displayValue(2, upDown), { text: '2', color: COLORS.green });
  const budget = { unit: 'percentunit', decimals: 1, thresholds: { steps: [{ color: 'red', value: null }, { color: 'orange', value: 0 }, { color: 'green', value: 0.25 }] } };
  assert.equal(thresholdColor(-0.1, budget), COLORS.red);
  assert.equal(thresholdColor(0, budget), COLORS.orange);
  assert.equal(thresholdColor(0.25, budget), COLORS.green);
  assert.deepEqual(displayValue(0.9876, budget), { text: '98.8%', color: COLORS.green });
});

test('legend calculations skip nulls', () => {
  const values = [1, null, 3, 2, null];
  assert.equal(reduce(values, 'mean'), 2);
  assert.equal(reduce(values, 'max'), 3);
  assert.equal(reduce(values, 'lastNotNull'), 2);
  assert.equal(reduce(values, 'last'), null);
  assert.equal(reduce([null], 'mean'), null);
});

test("interval, step, aligned range and built-in variables as Grafana's Prometheus datasource computes them", () => {
  assert.equal(roundInterval(21_600), 20_000);
  assert.equal(roundInterval(86_400), 60_000);
  assert.equal(roundInterval(604_800), 600_000);
  const now = Date.UTC(2026, 0, 1, 12, 0, 7);
  // 6 hours on a 1000 px panel, 15 s scrape interval: a 20 s step; $__rate_interval = max(20 + 15, 4 × 15).
  const six = queryTiming({ fromMs: resolveTime('now-6h', now) as number, toMs: now, maxDataPoints: 1000, scrapeInterval: '15s' });
  assert.equal(six.step, 20);
  assert.deepEqual(six.vars, { __interval: '20s', __interval_ms: '20000', __rate_interval: '60s', __range: '21600s', __range_s: '21600', __range_ms: '21600000' });
  assert.equal(six.end % 20, 0);
  assert.equal(six.start % 20, 0);
  assert.equal(six.time, Math.ceil(now / 1000));
  // 24 hours: a 1 minute step, rate interval 75 s. 15 minutes: the scrape interval is the floor.
  assert.equal(queryTiming({ fromMs: now - 86_400_000, toMs: now, maxDataPoints: 1000 }).vars.__rate_interval, '75s');
  assert.equal(queryTiming({ fromMs: now - 900_000, toMs: now, maxDataPoints: 1000 }).step, 15);
  // Never more than 11,000 points: a 30-day range on a wide panel with a 1 s scrape interval.
  const month = queryTiming({ fromMs: now - 30 * 86_400_000, toMs: now, maxDataPoints: 100_000, scrapeInterval: '1s' });
  assert.ok((month.end - month.start) / month.step <= 11_000);
  assert.equal(resolveTime('1700000000000', now), 1_700_000_000_000);
  assert.equal(resolveTime('now-7d', now), now - 7 * 86_400_000);
  assert.equal(resolveTime('yesterday', now), undefined);
});

test('variables in PromQL: All is the allValue, several values a regex alternation, special characters escaped', () => {
  const instance = { name: 'instance', multi: true, includeAll: true, allValue: '.*' };
  assert.equal(promqlValue(instance, ['$__all'], ['api-1', 'api-2']), '.*');
  assert.equal(promqlValue({ ...instance, allValue: null }, ['$__all'], ['api-1', 'api-2']), '(api-1|api-2)');
  assert.equal(promqlValue(instance, ['10.0.0.1:8000'], []), '10\\\\.0\\\\.0\\\\.1:8000');
  assert.equal(promqlValue({ name: 'x' }, ['say "hi"'], []), 'say \\"hi\\"');
  assert.equal(interpolate('rate(x{instance=~"$instance"}[$__rate_interval]) ${instance} [[instance]] $other', { instance: '.*', __rate_interval: '60s' }), 'rate(x{instance=~".*"}[60s]) .* .* $other');
  const parsed = parseLabelValues('label_values(up{job="samokoder-api"}, instance)');
  assert.deepEqual(parsed, { selector: 'up{job="samokoder-api"}', label: 'instance' });
  assert.equal(labelValuesQuery(parsed, 3600), 'group by (instance) (last_over_time(up{job="samokoder-api"}[3600s]))');
});

test('series names: legend templates, the label name for a missing label, metric and labels for __auto', () => {
  assert.equal(seriesName('{{method}} {{endpoint}}', { method: 'GET', endpoint: '/health' }, 'e'), 'GET /health');
  assert.equal(seriesName('{{limit_type}}', {}, 'e'), 'limit_type');
  assert.equal(seriesName('__auto', { __name__: 'up', job: 'api' }, 'e'), 'up{job="api"}');
  assert.equal(seriesName('', {}, 'vector(0)'), 'vector(0)');
});
