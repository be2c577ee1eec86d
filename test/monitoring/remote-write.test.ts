// The remote_write renderer: off without a URL (the committed config byte for byte), otherwise
// the committed config plus exactly one remote_write entry, accepted by the real promtool.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parseEnv, stackSchema } from '../../src/config.ts';
import { requireBinary } from '../../src/packages.ts';
import { PROMETHEUS_CONFIG } from '../../src/monitoring/paths.ts';
import { writePrometheusRuntime, REMOTE_WRITE_NAME, withRemoteWrite } from '../../src/monitoring/prometheus.ts';
import { tempDir } from '../support/services.ts';

const committed = readFileSync(PROMETHEUS_CONFIG, 'utf8');
const URL_ = 'http://victoria:8428/api/v1/write';

test('without a URL the config is returned unchanged (remote_write off)', () => {
  assert.equal(withRemoteWrite(committed, undefined), committed);
  assert.equal(parse(committed).remote_write, undefined, 'the committed config writes nowhere');
});

test('with a URL: one remote_write entry, everything else as committed, comments kept', () => {
  const rendered = withRemoteWrite(committed, URL_);
  const doc = parse(rendered) as Record<string, unknown>;
  assert.deepEqual(doc.remote_write, [{ url: URL_, name: REMOTE_WRITE_NAME }]);
  const { remote_write: _, ...rest } = doc;
  assert.deepEqual(rest, parse(committed), 'no other key changed');
  assert.ok(rendered.includes('# Samokoder Prometheus configuration'), 'the header comment survives');
});

test('REMOTE_WRITE_URL is the one setting: parsed by the stack schema, empty means off', () => {
  assert.equal(parseEnv(stackSchema, { REMOTE_WRITE_URL: URL_ }).REMOTE_WRITE_URL, URL_);
  assert.equal(parseEnv(stackSchema, { REMOTE_WRITE_URL: '' }).REMOTE_WRITE_URL, undefined);
  assert.equal(parseEnv(stackSchema, {}).REMOTE_WRITE_URL, undefined);
  assert.throws(() => parseEnv(stackSchema, { REMOTE_WRITE_URL: 'victoria:8428' }), /REMOTE_WRITE_URL must be a URL/);
});

test('the launcher\'s runtime config has it, and promtool accepts that config', () => {
  const dir = tempDir('rw-check');
  try {
    const configFile = writePrometheusRuntime(dir.path, [], { remoteWriteUrl: URL_ });
    assert.deepEqual(parse(readFileSync(configFile, 'utf8')).remote_write, [{ url: URL_, name: REMOTE_WRITE_NAME }], 'the launcher renders it');
    const result = spawnSync(requireBinary('promtool'), ['check', 'config', configFile], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  } finally {
    dir.remove();
  }
});
