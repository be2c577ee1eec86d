import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { catalogue, exportedSeriesNames } from '../../src/metrics/catalogue.ts';
import { listRecordingRules } from '../../src/monitoring/rules.ts';
import { PROMETHEUS_DIR } from '../../src/monitoring/paths.ts';

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? files(path, ext) : ext.test(entry) ? [path] : [];
  });
}

test('docs/metrics.md lists exactly the catalogue, with its types and labels', () => {
  const rows = readFileSync('docs/metrics.md', 'utf8')
    .split('\n')
    .map((line) => /^\| `(samokoder_[a-z_]+)` \| (\w+) \| ([^|]*) \|/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, name, type, labels]) => ({ name, type, labels: [...(labels ?? '').matchAll(/`(\w+)`/g)].map((l) => l[1]) }));
  const expected = Object.values(catalogue).map((d) => ({ name: d.name, type: d.type, labels: [...d.labelNames] }));
  assert.deepEqual(rows, expected);
});

test('every samokoder_* name in the docs, README and dashboards exists in the catalogue or the recording rules', () => {
  const series = exportedSeriesNames();
  const recorded = new Set([...listRecordingRules(), ...listRecordingRules(join(PROMETHEUS_DIR, 'federation', 'rules'))].map((r) => r.record));
  const sources = ['README.md', ...files('docs', /\.md$/), ...files('monitoring/grafana', /\.json$/)];
  const unknown: string[] = [];
  for (const file of sources) {
    for (const [token] of readFileSync(file, 'utf8').matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
      if (!token.includes('samokoder_') || token.endsWith('_')) continue;
      const known = token.includes(':') ? recorded.has(token) : series.has(token);
      if (!known) unknown.push(`${file}: ${token}`);
    }
  }
  assert.deepEqual(unknown, []);
});
