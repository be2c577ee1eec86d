// The stack's parts that need no running stack: the service list is consistent with
// prometheus.yml, a taken port is refused before anything starts, secrets are redacted from child
// output, the alert printer prints what Alertmanager's webhook sends, durations parse.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { formatAlert, startAlertPrinter } from '../../src/stack/alert-printer.ts';
import { requireBinary } from '../../src/packages.ts';
import { freePort, isPortFree } from '../../src/stack/ports.ts';
import { startProcess } from '../../src/stack/process.ts';
import { alertFor } from '../../src/monitoring/rules.ts';
import { configuredJobs, writePrometheusRuntime } from '../../src/monitoring/prometheus.ts';
import { parseDuration } from '../../src/monitoring/durations.ts';
import { PROMETHEUS_CONFIG, RULES_DIR } from '../../src/monitoring/paths.ts';
import { ConfigError } from '../../src/config.ts';
import { SERVICES, type Provided, type ServiceDefinition, type ServiceName } from '../../src/stack/services.ts';
import { parseStackSettings } from '../../src/stack/settings.ts';
import { checkDependencies, providedTo, startStack, StackError } from '../../src/stack/stack.ts';
import { tempDir } from '../support/services.ts';

test('services start after their dependencies, and every scrape job is a job of prometheus.yml', () => {
  const seen = new Set<string>();
  for (const s of SERVICES) {
    for (const dep of s.dependsOn) assert.ok(seen.has(dep), `${s.name} depends on ${dep}, which starts later`);
    seen.add(s.name);
  }
  const jobs = configuredJobs();
  const scraped = SERVICES.flatMap((s) => (s.scrape ? [s.scrape.job] : []));
  for (const job of scraped) assert.ok(jobs.includes(job), `${job} is not in prometheus.yml`);
  // Every job of prometheus.yml has a local service, except compose-only cAdvisor.
  assert.deepEqual(jobs.filter((j) => !scraped.includes(j)), ['cadvisor']);
  assert.equal(new Set(scraped).size, scraped.length, 'one service per job');
});

test('the launcher refuses a service whose dependency does not start before it; an external service counts as started', () => {
  const api = { name: 'api', dependsOn: ['postgres', 'redis'] } as const;
  assert.throws(() => checkDependencies([api, { name: 'postgres', dependsOn: [] }], new Set(['redis'])), (err: Error) => {
    assert.ok(err instanceof StackError);
    assert.equal(err.message, 'api depends on postgres, which is not started before it');
    return true;
  });
  assert.doesNotThrow(() => checkDependencies([{ name: 'postgres', dependsOn: [] }, api], new Set(['redis'])));
  assert.throws(() => checkDependencies([api], new Set()), /api depends on postgres, redis, which are not started before it/);
  for (const [i, s] of SERVICES.entries()) assert.doesNotThrow(() => checkDependencies(SERVICES.slice(0, i + 1), new Set()), s.name);
});

test('a service gets what its declared dependencies provide, and nothing from the others', () => {
  const provided = new Map<ServiceName, Provided>([
    ['postgres', { databaseUrl: 'postgresql://app@db', exporterDatabaseUrl: 'postgresql://exporter@db' }],
    ['redis', { redisUrl: 'redis://:pw@cache' }],
  ]);
  const byName = (name: ServiceName) => SERVICES.find((s) => s.name === name) as ServiceDefinition;
  assert.deepEqual(providedTo(byName('api'), provided), { databaseUrl: 'postgresql://app@db', exporterDatabaseUrl: 'postgresql://exporter@db', redisUrl: 'redis://:pw@cache' });
  assert.deepEqual(providedTo(byName('redis_exporter'), provided), { redisUrl: 'redis://:pw@cache' });
  assert.deepEqual(providedTo(byName('postgres_exporter'), provided), { databaseUrl: 'postgresql://app@db', exporterDatabaseUrl: 'postgresql://exporter@db' });
  assert.deepEqual(providedTo(byName('prometheus'), provided), {});
});

test('the settings: parsed once, external DATABASE_URL/REDIS_URL replace the stack\'s own, a bad variable is named', () => {
  const settings = parseStackSettings({ DATABASE_URL: 'postgresql://app:pw@db.example.com/samokoder', REDIS_URL: '', TELEGRAM_BOT_TOKEN: '123:abc', API_PORT: '8123' });
  assert.deepEqual(settings.external, { databaseUrl: 'postgresql://app:pw@db.example.com/samokoder', redisUrl: undefined });
  assert.equal(settings.portsByVariable.API_PORT, 8123);
  assert.equal(settings.apiEnv.TELEGRAM_BOT_TOKEN, undefined, 'alert credentials are not the API\'s');
  const postgres = SERVICES.find((s) => s.name === 'postgres') as ServiceDefinition;
  assert.deepEqual(postgres.external?.(settings.external), { databaseUrl: 'postgresql://app:pw@db.example.com/samokoder' });
  assert.equal(SERVICES.find((s) => s.name === 'redis')?.external?.(settings.external), undefined);
  assert.throws(() => parseStackSettings({ LOG_LEVEL: 'loud' }), (err: Error) => err instanceof ConfigError && /LOG_LEVEL/.test(err.message));
  assert.throws(() => parseStackSettings({ PROMETHEUS_PORT: '70000' }), (err: Error) => err instanceof ConfigError && /PROMETHEUS_PORT/.test(err.message));
});

test('a port in use is refused, naming the port, the service and its variable, before anything starts', async () => {
  const dir = tempDir('stack-port');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const taken = (blocker.address() as { port: number }).port;
  try {
    const ports = await Promise.all(Array.from({ length: 7 }, () => freePort()));
    const env = {
      PATH: process.env.PATH,
      DATA_DIR: dir.path,
      POSTGRES_PORT: String(ports[0]),
      REDIS_PORT: String(ports[1]),
      API_PORT: String(ports[2]),
      POSTGRES_EXPORTER_PORT: String(ports[3]),
      REDIS_EXPORTER_PORT: String(ports[4]),
      NODE_EXPORTER_PORT: String(ports[5]),
      ALERTMANAGER_PORT: String(ports[6]),
      PROMETHEUS_PORT: String(taken),
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/alerts`,
    };
    await assert.rejects(startStack(parseStackSettings(env)), (err: Error) => {
      assert.ok(err instanceof StackError);
      assert.match(err.message, new RegExp(`port ${taken} for prometheus is already in use.*PROMETHEUS_PORT`));
      return true;
    });
    assert.equal(existsSync(join(dir.path, 'postgres')), false, 'nothing was started');
  } finally {
    blocker.close();
    dir.remove();
  }
});

test('Telegram bot tokens are redacted from child output, in the tail and in the log file', async () => {
  const dir = tempDir('redact');
  const logFile = join(dir.path, 'child.log');
  const token = '123456:AAsecretTokenValue_x-9';
  try {
    const proc = await startProcess({
      name: 'echo',
      command: process.execPath,
      args: ['-e', `process.stderr.write('Post "https://api.telegram.org/bot${token}/sendMessage": dial tcp\\n'); setTimeout(() => {}, 60000)`],
      logFile,
      ready: async () => true,
    });
    await new Promise((r) => setTimeout(r, 500));
    await proc.stop();
    assert.match(proc.tail(), /\/bot<redacted>\/sendMessage/);
    assert.ok(!proc.tail().includes(token));
    const logged = readFileSync(logFile, 'utf8');
    assert.match(logged, /bot<redacted>/);
    assert.ok(!logged.includes('AAsecretTokenValue'));
  } finally {
    dir.remove();
  }
});

test('the alert printer prints each firing and resolved alert with its summary', async () => {
  const lines: string[] = [];
  const printer = await startAlertPrinter(0, '/alerts', (line) => lines.push(line));
  try {
    const res = await fetch(printer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        status: 'firing',
        alerts: [
          { status: 'firing', labels: { alertname: 'APIDown', severity: 'critical', instance: 'api' }, annotations: { summary: 'Samokoder API is down' } },
          { status: 'resolved', labels: { alertname: 'HighLatency', severity: 'warning', component: 'api' }, annotations: {} },
        ],
      }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(lines, ['🔥 FIRING   critical APIDown (api): Samokoder API is down', '✅ RESOLVED warning HighLatency (api)']);
    const bad = await fetch(printer.url, { method: 'POST', body: '{"no":"alerts"}' });
    assert.equal(bad.status, 400);
  } finally {
    await printer.close();
  }
  assert.equal(formatAlert({ status: 'firing', labels: {} }), '🔥 FIRING   none (no alertname)');
});

test('Prometheus durations parse to milliseconds; anything else is refused', () => {
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('7d'), 7 * 86_400_000);
  assert.throws(() => parseDuration('1 m'), /not a Prometheus duration/);
  assert.throws(() => parseDuration('10'), /not a Prometheus duration/);
  assert.equal(alertFor('APIDown', 'api.yml'), 60_000, "the operator guide's APIDown: unreachable for more than 1 min");
  assert.throws(() => alertFor('NoSuchAlert', 'api.yml'), /alert NoSuchAlert not found in rules\/api\.yml/);
});

test('the Prometheus runtime dir links the real config and rules, and has a targets file per job', () => {
  const dir = tempDir('runtime');
  try {
    const targets = [{ job: 'samokoder-api', address: '127.0.0.1:8000', instance: 'api', metricsPath: '/metrics' }];
    const plain = writePrometheusRuntime(join(dir.path, 'a'), targets);
    assert.equal(readlinkSync(plain), PROMETHEUS_CONFIG);
    assert.equal(readlinkSync(join(dir.path, 'a', 'rules')), RULES_DIR);
    const targetsOf = (job: string) => parse(readFileSync(join(dir.path, 'a', 'targets', `${job}.yml`), 'utf8'));
    assert.deepEqual(targetsOf('samokoder-api'), [{ targets: ['127.0.0.1:8000'], labels: { instance: 'api' } }]);
    assert.deepEqual(targetsOf('cadvisor'), []);

    const copy = writePrometheusRuntime(join(dir.path, 'b'), targets, { intervals: { scrape: '2s', evaluation: '3s' }, remoteWriteUrl: 'http://127.0.0.1:8428/api/v1/write' });
    assert.equal(lstatSync(copy).isSymbolicLink(), false);
    const text = readFileSync(copy, 'utf8');
    assert.match(text, /scrape_interval: 2s/);
    assert.match(text, /evaluation_interval: 3s/);
    assert.match(text, /scrape_timeout: 2s/, 'the timeout is capped at the interval');
    assert.match(text, /remote_write:\n\s+- url: http:\/\/127\.0\.0\.1:8428\/api\/v1\/write/);
    assert.equal(readlinkSync(join(dir.path, 'b', 'rules')), RULES_DIR, 'the rules stay the real ones');
  } finally {
    dir.remove();
  }
});

test('with METRICS_TOKEN the runtime config scrapes the API with it, from a 0600 file promtool accepts', () => {
  const dir = tempDir('runtime-token');
  try {
    const token = randomBytes(16).toString('hex');
    const configFile = writePrometheusRuntime(dir.path, [], { metricsToken: token });
    const tokenFile = join(dir.path, 'secrets', 'metrics-token');
    assert.equal(readFileSync(tokenFile, 'utf8'), token);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const config = parse(readFileSync(configFile, 'utf8')) as { scrape_configs: Array<{ job_name: string; authorization?: unknown }> };
    for (const job of config.scrape_configs) {
      assert.deepEqual(job.authorization, job.job_name === 'samokoder-api' ? { type: 'Bearer', credentials_file: tokenFile } : undefined, job.job_name);
    }
    assert.ok(!readFileSync(configFile, 'utf8').includes(token), 'the token itself is not in the config');
    const check = spawnSync(requireBinary('promtool'), ['check', 'config', configFile], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  } finally {
    dir.remove();
  }
});

test('a service that fails to start: a StackError naming it and its output, and what was started is stopped', async () => {
  const dir = tempDir('stack-fail');
  chmodSync(dir.path, 0o711); // PostgreSQL runs as postgres when we are root
  try {
    const names = ['POSTGRES_PORT', 'REDIS_PORT', 'API_PORT', 'POSTGRES_EXPORTER_PORT', 'REDIS_EXPORTER_PORT', 'NODE_EXPORTER_PORT', 'ALERTMANAGER_PORT', 'PROMETHEUS_PORT'];
    const ports: Record<string, string> = Object.fromEntries(await Promise.all(names.map(async (n) => [n, String(await freePort())])));
    // The launcher validates LOG_LEVEL too; an API environment that bypasses the settings shows that
    // the API validates its own and exits 1: it fails after PostgreSQL and Redis are up.
    const settings = parseStackSettings({ PATH: process.env.PATH, DATA_DIR: dir.path, ALERT_WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/alerts`, ...ports });
    await assert.rejects(startStack({ ...settings, apiEnv: { ...settings.apiEnv, LOG_LEVEL: 'loud' } }), (err: Error) => {
      assert.ok(err instanceof StackError, String(err));
      assert.match(err.message, /^api failed to start: api exited during start \(1\):\n.*LOG_LEVEL must be/s);
      return true;
    });
    for (const name of ['POSTGRES_PORT', 'REDIS_PORT']) assert.equal(await isPortFree(Number(ports[name])), true, `${name}: stopped after the failure`);
  } finally {
    dir.remove();
  }
});
