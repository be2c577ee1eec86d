/**
 * Writes the generated Grafana dashboards into monitoring/grafana/dashboards/ (`npm run dashboards`).
 * The JSON is committed; a test fails when it differs from what this generates, so the code and
 * the files Grafana loads never drift apart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS_DIR } from '../monitoring/paths.ts';
import { overviewDashboard } from './overview.ts';

/** Each generated dashboard: its file name and its JSON text exactly as committed. */
export function generatedDashboards(): Array<{ file: string; json: string }> {
  return [{ file: 'samokoder-overview.json', json: `${JSON.stringify(overviewDashboard(), null, 2)}\n` }];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { file, json } of generatedDashboards()) {
    writeFileSync(join(DASHBOARDS_DIR, file), json);
    process.stdout.write(`wrote ${join(DASHBOARDS_DIR, file)}\n`);
  }
}
