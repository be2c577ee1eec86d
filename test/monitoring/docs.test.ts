import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { listAlerts } from '../../src/monitoring/rules.ts';

test("the operator guide's alert tables list every alert with its rule's severity, component and for", () => {
  let severity = '';
  const documented: string[] = [];
  for (const line of readFileSync('docs/monitoring.md', 'utf8').split('\n')) {
    const heading = /^### (critical|warning|info|none)$/.exec(line);
    if (heading) severity = heading[1] as string;
    const row = /^\| \[(\w+)\]\(runbooks\/(\w+)\.md\) \| (\w+) \| (\w+) \|/.exec(line);
    if (row) {
      assert.equal(row[1], row[2], `${row[1]} links another alert's runbook`);
      documented.push(`${row[1]} ${severity} ${row[3]} ${row[4]}`);
    }
  }
  const rules = listAlerts().map((a) => `${a.alert} ${a.labels.severity} ${a.labels.component} ${a.for ?? '0s'}`);
  assert.deepEqual(documented.sort(), rules.sort());
});
