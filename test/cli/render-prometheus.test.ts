// `render-prometheus`: REMOTE_WRITE_URL switches remote_write on in the rendered copy, its absence
// leaves the committed config as it is; credentials in the URL are not printed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { renderPrometheusCommand } from '../../src/cli/render-prometheus.ts';
import { PROMETHEUS_CONFIG } from '../../src/monitoring/paths.ts';
import { REMOTE_WRITE_NAME } from '../../src/monitoring/prometheus.ts';
import { tempDir } from '../support/services.ts';

const dir = tempDir('render-prometheus');
after(() => dir.remove());

function render(env: Record<string, string>, out: string) {
  const lines = { out: [] as string[], err: [] as string[] };
  const code = renderPrometheusCommand(['--out', out], env, { out: (l) => lines.out.push(l), err: (l) => lines.err.push(l) });
  return code.then((status) => ({ status, ...lines }));
}

test('REMOTE_WRITE_URL set: the copy writes there; the password in the URL is not printed', async () => {
  const out = join(dir.path, 'on.yml');
  const url = 'https://user:s3cret-pw@metrics.example.com/api/v1/write';
  const result = await render({ REMOTE_WRITE_URL: url }, out);
  assert.equal(result.status, 0, result.err.join('\n'));
  assert.deepEqual(parse(readFileSync(out, 'utf8')).remote_write, [{ url, name: REMOTE_WRITE_NAME }]);
  assert.match(result.out.join('\n'), /remote_write: on, to https:\/\/metrics\.example\.com\/api\/v1\/write/);
  assert.doesNotMatch(result.out.join('\n') + result.err.join('\n'), /s3cret/);
});

test('REMOTE_WRITE_URL unset: the copy is the committed config; a bad URL is refused', async () => {
  const out = join(dir.path, 'off.yml');
  const result = await render({}, out);
  assert.equal(result.status, 0);
  assert.equal(readFileSync(out, 'utf8'), readFileSync(PROMETHEUS_CONFIG, 'utf8'));
  assert.match(result.out.join('\n'), /remote_write: off/);
  const bad = await render({ REMOTE_WRITE_URL: 'victoria:8428' }, join(dir.path, 'bad.yml'));
  assert.equal(bad.status, 1);
  assert.match(bad.err.join('\n'), /REMOTE_WRITE_URL must be a URL/);
});
