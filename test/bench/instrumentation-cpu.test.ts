// The split the CPU benchmark reports: the least-squares line through (requests/s, CPU µs/s)
// readings gives the marginal µs per request as its slope and the fixed CPU per second as its
// intercept; one rate alone would mix them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitLine } from '../../bench/instrumentation-cpu.ts';

test('an exact line: 30 µs per request plus 12 ms of CPU per second', () => {
  const readings = [300, 900, 1800].map((rps) => ({ requestsPerSecond: rps, cpuMicrosPerSecond: 12_000 + 30 * rps }));
  const { slope, intercept } = fitLine(readings);
  assert.ok(Math.abs(slope - 30) < 1e-9, `slope ${slope}`);
  assert.ok(Math.abs(intercept - 12_000) < 1e-6, `intercept ${intercept}`);
});

test('noisy readings: the least-squares slope, not the line through two of them', () => {
  const { slope, intercept } = fitLine([
    { requestsPerSecond: 0, cpuMicrosPerSecond: 1 },
    { requestsPerSecond: 1, cpuMicrosPerSecond: 1 },
    { requestsPerSecond: 2, cpuMicrosPerSecond: 4 },
  ]);
  assert.ok(Math.abs(slope - 1.5) < 1e-12, `slope ${slope}`);
  assert.ok(Math.abs(intercept - 0.5) < 1e-12, `intercept ${intercept}`);
});
