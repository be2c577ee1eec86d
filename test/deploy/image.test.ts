/**
 * The API image without a Docker engine: the Dockerfile's rules (pinned Node, stages, non-root,
 * healthcheck), then its build stage replayed in a temp copy of the sources — the same RUN
 * commands — and the result run the way compose runs it: `node dist/server.js` answering /health
 * (checked with the image's own HEALTHCHECK command), and the `secrets` one-shot writing every
 * secret file for its reader, with an Alertmanager config amtool accepts. The compiled code may import production dependencies only.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { dotenvFile, SECRET_FILES, SECRETS_DIR, secretPath, SMTP_CA } from '../../src/deploy/compose-secrets.ts';
import { freePort } from '../../src/stack/ports.ts';
import { amtool, TELEGRAM_ENV, SECRETS } from '../support/alertmanager-config.ts';
import { testPostgres, testRedis, tempDir } from '../support/services.ts';
import { REQUIRED_COMPOSE_ENV, resolvedServices, ROOT } from './support.ts';

interface Stage {
  from: string;
  name?: string;
  /** Instructions after FROM, continuation lines joined. */
  lines: string[];
}

/** The Dockerfile as stages of instructions (comments dropped, `\` continuations joined). */
function dockerfile(): { args: Map<string, string>; stages: Stage[] } {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      stages.push({ from: from[1] as string, name: from[2], lines: [] });
    } else if (stages.length === 0) {
      const arg = /^ARG\s+(\w+)=(\S+)/.exec(line);
      if (arg) args.set(arg[1] as string, arg[2] as string);
    } else {
      (stages.at(-1) as Stage).lines.push(line);
    }
  }
  return { args, stages };
}

const { args, stages } = dockerfile();
const runtime = stages.at(-1) as Stage;
const instruction = (stage: Stage, name: string) => stage.lines.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

test('Dockerfile: every stage on one exact Node 20 release (the major the tests run on), Debian slim', () => {
  const image = stages.map((s) => s.from.replace(/^\$\{(\w+)\}$/, (_, name: string) => args.get(name) ?? ''));
  const major = process.versions.node.split('.')[0];
  for (const from of image) assert.match(from, new RegExp(`^node:${major}\\.[0-9]+\\.[0-9]+-bookworm-slim$`));
  assert.equal(new Set(image).size, 1, 'all stages on the same image');
  assert.ok(stages.length >= 2, 'multi-stage');
});

test('Dockerfile: the runtime stage runs as a non-root user, with production dependencies only, a /health check and the compiled server', () => {
  const user = instruction(runtime, 'USER');
  assert.equal(user.length, 1);
  assert.ok(!['root', '0', '0:0'].includes(user[0] as string));
  // node_modules comes from a stage that installed with --omit=dev.
  const copy = instruction(runtime, 'COPY').find((c) => c.includes('node_modules'));
  const depsStage = stages.find((s) => copy?.includes(`--from=${s.name}`));
  assert.ok(depsStage && instruction(depsStage, 'RUN').some((r) => /npm ci\b.*--omit=dev/.test(r)), 'node_modules must come from `npm ci --omit=dev`');
  assert.ok(!instruction(runtime, 'RUN').some((r) => /npm (ci|install)/.test(r)), 'no install in the runtime stage');
  assert.match(instruction(runtime, 'HEALTHCHECK')[0] ?? '', /\/health/);
  assert.deepEqual(JSON.parse(instruction(runtime, 'CMD')[0] ?? '[]'), ['node', 'dist/server.js']);
});

test('.dockerignore keeps secrets, data and tests out of the build context', () => {
  const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  assert.equal(rules[0], '*', 'everything is excluded first, then what the build needs is allowed back');
  for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/', 'monitoring/alertmanager/']) assert.ok(rules.includes(`!${needed}`), needed);
  assert.ok(!rules.some((r) => /^!(\.env|test|\.data)/.test(r)));
});

// --- the build stage, replayed ---------------------------------------------------------------

let dir: ReturnType<typeof tempDir>;
let app: string;

before(() => {
  dir = tempDir('image');
  app = join(dir.path, 'app');
  mkdirSync(app);
  const build = stages.find((s) => instruction(s, 'RUN').some((r) => r.includes('tsc'))) as Stage;
  assert.ok(build, 'no stage compiles with tsc');
  // COPY instructions of the build stage (sources) as copies; node_modules as a link to ours,
  // which the stage's `npm ci` would have produced.
  for (const copy of instruction(build, 'COPY')) {
    const parts = copy.split(/\s+/);
    for (const source of parts.slice(0, -1)) cpSync(join(ROOT, source), join(app, source), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
  for (const run of instruction(build, 'RUN').filter((r) => !/^npm ci\b/.test(r))) {
    const result = spawnSync('sh', ['-c', run], { cwd: app, encoding: 'utf8', timeout: 180_000 });
    assert.equal(result.status, 0, `RUN ${run}\n${result.stdout}${result.stderr}`);
  }
  // The runtime stage's own COPYs from the context (package.json, monitoring/alertmanager).
  for (const copy of instruction(runtime, 'COPY').filter((c) => !c.startsWith('--from'))) {
    const [source] = copy.split(/\s+/);
    if (source !== 'package.json') cpSync(join(ROOT, source as string), join(app, source as string), { recursive: true });
  }
});

after(() => dir?.remove());

test('the compiled code imports nothing but Node built-ins and production dependencies', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
  const files = (function walk(d: string): string[] {
    return readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.js') ? [join(d, f)] : []));
  })(join(app, 'dist'));
  assert.ok(files.length > 20);
  const bad: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)["']([^"'.][^"']*)["']/g)) {
      if ((m[1] as string).startsWith('node:')) continue; // every node: specifier is a built-in
      const spec = m[1] as string;
      const pkgName = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
      if (!allowed.has(pkgName) && !allowed.has(spec)) bad.push(`${file.slice(app.length)}: ${m[1]}`);
    }
    assert.ok(!/from ["']\.[^"']*\.ts["']/.test(text), `${file}: a .ts import survived compilation`);
  }
  assert.deepEqual(bad, []);
  // The SQL migrations travel with the compiled code.
  assert.ok(readdirSync(join(app, 'dist/db/migrations')).some((f) => f.endsWith('.sql')));
});

test('`node dist/server.js` serves /health with its secrets from a dotenv file, as in compose, and the image HEALTHCHECK command agrees', async () => {
  const [postgres, redis] = await Promise.all([testPostgres(), testRedis({ password: randomBytes(12).toString('hex') })]);
  const port = await freePort();
  // What the secrets service writes for the API (api.env); compose points DOTENV_CONFIG_PATH at it.
  const apiEnv = join(dir.path, 'api.env');
  writeFileSync(apiEnv, dotenvFile({ DATABASE_URL: postgres.databaseUrl, REDIS_URL: redis.redisUrl, JWT_SECRET: randomBytes(32).toString('hex') }));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'production',
    DOTENV_CONFIG_PATH: apiEnv,
    API_HOST: '127.0.0.1', // 0.0.0.0 in the container; tests listen on loopback only
    API_PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  const server = spawn(process.execPath, ['dist/server.js'], { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const healthcheck = () => {
    const [, ...cmd] = JSON.parse(instruction(runtime, 'HEALTHCHECK')[0]?.replace(/^.*?CMD\s+/, '') ?? '[]') as string[];
    return spawnSync(process.execPath, cmd, { env, encoding: 'utf8', timeout: 10_000 }).status;
  };
  try {
    let status = 0;
    for (let i = 0; i < 200 && status !== 200; i++) {
      if (server.exitCode !== null) assert.fail(`dist/server.js exited: ${stderr}`);
      status = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0);
      if (status !== 200) await sleep(100);
    }
    assert.equal(status, 200, stderr);
    assert.equal(healthcheck(), 0);
    // Redis down: degraded but serving (the limiter fails open), so the container stays healthy;
    // the database down: it cannot serve, unhealthy.
    await redis.process.stop();
    assert.equal(healthcheck(), 0, 'healthcheck fails while only Redis is down');
    await postgres.process.stop();
    assert.equal(healthcheck(), 1, 'healthcheck passes while the database is down');
  } finally {
    server.kill('SIGTERM');
    await exited;
    await Promise.allSettled([postgres.stop(), redis.stop()]);
  }
});

test('the secrets one-shot, run as compose runs it, writes every file for its reader and a config amtool accepts', () => {
  const services = resolvedServices();
  const oneShot = services.secrets;
  const [command, ...argv] = oneShot?.command as string[];
  assert.equal(command, 'node');
  const dirIndex = argv.indexOf('--dir') + 1;
  const containerDir = argv[dirIndex] as string;
  assert.equal(containerDir, SECRETS_DIR);
  const out = join(dir.path, 'secrets');
  argv[dirIndex] = out;
  // The environment compose gives it (.env's defaults and required values), plus a Telegram channel.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(oneShot?.environment as Record<string, string>), ...TELEGRAM_ENV };
  const result = spawnSync(process.execPath, argv, { cwd: app, env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 0, result.stderr);
  const printed = result.stdout + result.stderr;
  for (const secret of [SECRETS.TELEGRAM_BOT_TOKEN, ...Object.values(REQUIRED_COMPOSE_ENV)]) assert.ok(!printed.includes(secret), 'a secret leaked into the output');
  for (const file of SECRET_FILES) {
    // No SMTP_CA_FILE in this environment: no copy of a CA is kept.
    if (file === SMTP_CA) {
      assert.equal(existsSync(secretPath(file, out)), false, 'a CA copy without SMTP_CA_FILE');
      continue;
    }
    const stat = statSync(secretPath(file, out));
    assert.deepEqual([stat.uid, stat.gid, stat.mode & 0o777], [file.owner.uid, file.owner.gid, 0o600], file.reader);
  }

  // The templates path is the one Alertmanager's container sees; check the file against the
  // templates compose mounts there.
  const templates = argv[argv.indexOf('--templates') + 1] as string;
  const mount = (services.alertmanager?.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === templates);
  assert.ok(mount, `alertmanager does not mount anything at ${templates}`);
  const rendered = readFileSync(join(out, 'alertmanager', 'alertmanager.yml'), 'utf8');
  assert.ok(rendered.includes(`${templates}/*.tmpl`));
  const onHost = join(dir.path, 'rendered-host.yml');
  writeFileSync(onHost, rendered.replace(`${templates}/*.tmpl`, `${mount[0]}/*.tmpl`));
  const check = amtool(['check-config', onHost]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /[1-9][0-9]* templates/);
});
