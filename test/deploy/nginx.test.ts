/**
 * The compose nginx configuration, run for real by Debian's nginx on loopback: the repository's
 * monitoring/nginx/ files unchanged except upstreams.conf (pointed at stand-in HTTP servers) and
 * the listen ports. Users come from the `htpasswd` CLI command. Checks basic auth on /prometheus/
 * and /alertmanager/, that /metrics is never served, the routing, the security headers, and the
 * TLS variant from sites/https.conf.example with a self-signed certificate.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { buildApp, closeDependencies, createDependencies } from '../../src/app.ts';
import { htpasswdCommand } from '../../src/cli/htpasswd.ts';
import { apiSchema, parseEnv } from '../../src/config.ts';
import { freePort } from '../../src/stack/ports.ts';
import { requireBinary } from '../../src/packages.ts';
import { tempDir } from '../support/services.ts';
import { ROOT } from './support.ts';

const NGINX_DIR = join(ROOT, 'monitoring/nginx');
const USER = 'operator';
const PASSWORD = 'correct-horse-battery-staple';
const SECURITY_HEADERS = ['x-content-type-options', 'x-frame-options', 'referrer-policy', 'permissions-policy'];

/** The API's routes as Fastify registers them (every feature on; nothing connects). */
async function apiRoutes(): Promise<string[]> {
  const config = parseEnv(apiSchema, {
    DATABASE_URL: 'postgresql://unused:unused@127.0.0.1:1/unused',
    REDIS_URL: 'redis://127.0.0.1:1',
    JWT_SECRET: 'x'.repeat(32),
    ADMIN_TOKEN: 'y'.repeat(32),
  });
  const deps = createDependencies(config, pino({ level: 'silent' }));
  const { app, generator } = buildApp(deps);
  const urls = new Set<string>();
  app.addHook('onRoute', (route) => void urls.add(route.url));
  try {
    await app.ready();
  } finally {
    await app.close();
    await generator.close();
    await closeDependencies(deps);
  }
  return [...urls];
}

interface Backend {
  name: string;
  server: Server;
  port: number;
  /** Paths it was asked for. */
  seen: string[];
}

/** A stand-in for Grafana, Prometheus, Alertmanager or the API: 200 with its name and the path. */
async function startBackend(name: string): Promise<Backend> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain', 'x-frame-options': 'deny' });
    res.end(`${name} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { name, server, port: (server.address() as { port: number }).port, seen };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names as sent, one entry per header line (duplicates visible). */
  headerNames: string[];
  body: string;
}

function get(url: string, auth?: string): Promise<Answer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}, rejectUnauthorized: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, headerNames: res.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase()), body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Replaces `pattern` in `file`, insisting it matched exactly `count` times (the config changed otherwise). */
function replaceIn(file: string, pattern: RegExp, replacement: string, count: number): void {
  const text = readFileSync(file, 'utf8');
  assert.equal(text.match(pattern)?.length ?? 0, count, `${file}: expected ${count} × ${pattern}`);
  writeFileSync(file, text.replace(pattern, replacement));
}

interface RunningNginx {
  process: ChildProcess;
  stop: () => Promise<void>;
}

/**
 * Copies monitoring/nginx into `prefix/conf`, points its upstreams at `backends`, and starts nginx
 * on it with a main file of ours (pid, logs and temp files inside `prefix`), in the foreground.
 */
async function startNginx(prefix: string, backends: Backend[], prepare: (conf: string) => void | Promise<void>, probePort: number): Promise<RunningNginx> {
  const conf = join(prefix, 'conf');
  cpSync(NGINX_DIR, conf, { recursive: true });
  // The upstream names the committed file defines are exactly our stand-ins.
  const names = [...readFileSync(join(conf, 'upstreams.conf'), 'utf8').matchAll(/^upstream (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(names.sort(), backends.map((b) => b.name).sort());
  writeFileSync(join(conf, 'upstreams.conf'), backends.map((b) => `upstream ${b.name} { server 127.0.0.1:${b.port}; }\n`).join(''));
  await prepare(conf);

  const temp = (name: string) => join(prefix, 'temp', name);
  mkdirSync(join(prefix, 'temp'));
  writeFileSync(
    join(conf, 'test-main.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(prefix, 'nginx.pid')};`,
      `error_log ${join(prefix, 'error.log')} warn;`,
      'events { worker_connections 64; }',
      'http {',
      `  access_log ${join(prefix, 'access.log')};`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${temp(t)};`),
      '  include samokoder.conf;',
      '}',
      '',
    ].join('\n'),
  );
  const args = ['-c', join(conf, 'test-main.conf'), '-p', prefix, '-e', join(prefix, 'error.log')];
  const check = spawnSync(requireBinary('nginx'), [...args, '-t'], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);

  const child = spawn(requireBinary('nginx'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let attempt = 0; ; attempt++) {
    try {
      await get(`http://127.0.0.1:${probePort}/nginx-health`);
      break;
    } catch (err) {
      if (attempt >= 100 || child.exitCode !== null) throw new Error(`nginx did not start: ${stderr || (err as Error).message}`);
      await sleep(50);
    }
  }
  return {
    process: child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
    },
  };
}

describe('nginx (monitoring/nginx) on loopback', () => {
  let dir: ReturnType<typeof tempDir>;
  let backends: Backend[];
  let nginx: RunningNginx;
  let base: string;
  const backend = (name: string) => backends.find((b) => b.name === name) as Backend;

  before(async () => {
    requireBinary('htpasswd');
    dir = tempDir('nginx');
    // nginx's workers drop root privileges: they must be able to read the config and htpasswd.
    chmodSync(dir.path, 0o755);
    backends = await Promise.all(['grafana', 'prometheus', 'alertmanager', 'api'].map(startBackend));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    nginx = await startNginx(
      dir.path,
      backends,
      async (conf) => {
        replaceIn(join(conf, 'sites/http.conf'), /listen 80 default_server;/g, `listen 127.0.0.1:${port} default_server;`, 1);
        const io = { out: () => undefined, err: (l: string) => assert.fail(l) };
        assert.equal(await htpasswdCommand([USER, '--file', join(conf, 'auth/htpasswd')], {}, { ...io, password: PASSWORD }), 0);
        assert.equal(await htpasswdCommand(['second-user', '--file', join(conf, 'auth/htpasswd')], {}, { ...io, password: 'another-long-password' }), 0);
      },
      port,
    );
  });

  after(async () => {
    await nginx?.stop();
    await Promise.all((backends ?? []).map((b) => new Promise((r) => b.server.close(r))));
    dir?.remove();
  });

  for (const path of ['/prometheus/', '/alertmanager/']) {
    test(`${path} needs the right credentials`, async () => {
      const before = backend(path.slice(1, -1)).seen.length;
      const none = await get(`${base}${path}`);
      assert.equal(none.status, 401);
      assert.match(none.headers['www-authenticate'] ?? '', /^Basic realm=/);
      assert.equal((await get(`${base}${path}`, `${USER}:wrong-password-here`)).status, 401);
      assert.equal((await get(`${base}${path}`, `nobody:${PASSWORD}`)).status, 401);
      assert.equal(backend(path.slice(1, -1)).seen.length, before, 'a refused request reached the backend');

      const ok = await get(`${base}${path}-/ready`, `${USER}:${PASSWORD}`);
      assert.equal(ok.status, 200);
      // The route prefix is passed on unchanged (--web.external-url=.../prometheus/).
      assert.equal(ok.body, `${path.slice(1, -1)} ${path}-/ready`);
      // Adding a second user kept the first (htpasswd -c is used only for a new file).
      assert.equal((await get(`${base}${path}`, 'second-user:another-long-password')).status, 200);
    });
  }

  test('/metrics is never served, whichever backend would answer it', async () => {
    const grafanaSeen = backend('grafana').seen.length;
    const answer = await get(`${base}/metrics`);
    assert.ok(answer.status === 404 || answer.status === 403, `status ${answer.status}`);
    assert.equal(backend('grafana').seen.length, grafanaSeen);
    // The API's own /metrics is not reachable through any API route either.
    assert.notEqual((await get(`${base}/api/v1/../../metrics`)).body, 'api /metrics');
    assert.ok(!backend('api').seen.includes('/metrics'));
  });

  test('routing: Grafana at /, its own /api/ included; the Samokoder API only under its /api/v1/ prefixes', async () => {
    assert.equal((await get(`${base}/`)).body, 'grafana /');
    assert.equal((await get(`${base}/d/samokoder-overview`)).body, 'grafana /d/samokoder-overview');
    assert.equal((await get(`${base}/api/health`)).body, 'grafana /api/health');
    assert.equal((await get(`${base}/api/v1/provisioning/alert-rules`)).body, 'grafana /api/v1/provisioning/alert-rules');
    assert.equal((await get(`${base}/api/v1/projects`)).body, 'api /api/v1/projects');
    assert.equal((await get(`${base}/api/v1/auth/login`)).body, 'api /api/v1/auth/login');
    assert.equal((await get(`${base}/api/v1/projects/123e4567-e89b-12d3-a456-426614174000`)).body, 'api /api/v1/projects/123e4567-e89b-12d3-a456-426614174000');
  });

  test("every API route under /api/ and /health (the blackbox probe's way in) reach the API through nginx; /metrics does not", async () => {
    const routes = await apiRoutes();
    assert.ok(routes.includes('/api/v1/projects/:id') && routes.includes('/metrics') && routes.includes('/health'), routes.join(' '));
    for (const route of routes) {
      const path = route.replace(/:[a-z]+/gi, '123e4567-e89b-12d3-a456-426614174000');
      const answer = await get(`${base}${path}`);
      if (route.startsWith('/api/') || route === '/health') assert.equal(answer.body, `api ${path}`, `${route} is not routed to the API`);
      else assert.notEqual(answer.body, `api ${path}`, `${route} is public`);
    }
  });

  test('security headers on every answer (200, 401, 404), once each; no version in Server', async () => {
    for (const answer of [await get(`${base}/`), await get(`${base}/prometheus/`), await get(`${base}/metrics`), await get(`${base}/api/v1/projects`)]) {
      for (const header of SECURITY_HEADERS) {
        assert.equal(answer.headerNames.filter((h) => h === header).length, 1, `${header} on a ${answer.status}: expected exactly once`);
      }
      assert.equal(answer.headers['x-frame-options'], 'SAMEORIGIN');
      assert.equal(answer.headers.server, 'nginx');
    }
  });
});

describe('nginx with TLS (sites/https.conf.example)', () => {
  let dir: ReturnType<typeof tempDir>;
  let backends: Backend[];
  let nginx: RunningNginx;
  let httpPort: number;
  let httpsPort: number;

  before(async () => {
    dir = tempDir('nginx-tls');
    chmodSync(dir.path, 0o755);
    backends = await Promise.all(['grafana', 'prometheus', 'alertmanager', 'api'].map(startBackend));
    httpPort = await freePort();
    httpsPort = await freePort();
    nginx = await startNginx(
      dir.path,
      backends,
      async (conf) => {
        // The documented steps: certificate and key in certs/, https.conf instead of http.conf.
        const cert = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(conf, 'certs/privkey.pem'), '-out', join(conf, 'certs/fullchain.pem')], { encoding: 'utf8' });
        assert.equal(cert.status, 0, cert.stderr);
        chmodSync(join(conf, 'certs/privkey.pem'), 0o644); // only the test's throwaway key
        cpSync(join(conf, 'sites/https.conf.example'), join(conf, 'sites/https.conf'));
        rmSync(join(conf, 'sites/http.conf'));
        replaceIn(join(conf, 'sites/https.conf'), /listen 80 default_server;/g, `listen 127.0.0.1:${httpPort} default_server;`, 1);
        replaceIn(join(conf, 'sites/https.conf'), /listen 443 ssl http2 default_server;/g, `listen 127.0.0.1:${httpsPort} ssl http2 default_server;`, 1);
        const io = { out: () => undefined, err: (l: string) => assert.fail(l) };
        assert.equal(await htpasswdCommand([USER, '--file', join(conf, 'auth/htpasswd')], {}, { ...io, password: PASSWORD }), 0);
      },
      httpPort,
    );
  });

  after(async () => {
    await nginx?.stop();
    await Promise.all((backends ?? []).map((b) => new Promise((r) => b.server.close(r))));
    dir?.remove();
  });

  test('plain HTTP redirects to HTTPS', async () => {
    const answer = await get(`http://127.0.0.1:${httpPort}/prometheus/`);
    assert.equal(answer.status, 301);
    assert.match(answer.headers.location ?? '', /^https:\/\/127\.0\.0\.1\/prometheus\/$/);
  });

  test("plain HTTP still answers the healthcheck and the blackbox probe's /health from the API (a redirect would fail the probe)", async () => {
    const api = backends.find((b) => b.name === 'api') as Backend;
    const health = await get(`http://127.0.0.1:${httpPort}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body, 'api /health');
    assert.ok(api.seen.includes('/health'));
    assert.equal((await get(`http://127.0.0.1:${httpPort}/nginx-health`)).body, 'ok\n');
    assert.equal((await get(`https://127.0.0.1:${httpsPort}/health`)).body, 'api /health');
  });

  test('HTTPS serves the same routes with auth, security headers and HSTS', async () => {
    const base = `https://127.0.0.1:${httpsPort}`;
    assert.equal((await get(`${base}/prometheus/`)).status, 401);
    assert.equal((await get(`${base}/prometheus/`, `${USER}:not-the-password`)).status, 401);
    const ok = await get(`${base}/prometheus/`, `${USER}:${PASSWORD}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'prometheus /prometheus/');
    assert.ok((await get(`${base}/metrics`)).status === 404);
    const grafana = await get(`${base}/`);
    assert.equal(grafana.body, 'grafana /');
    assert.match(grafana.headers['strict-transport-security'] ?? '', /max-age=[1-9]/);
    for (const header of SECURITY_HEADERS) assert.ok(grafana.headers[header], `${header} missing over HTTPS`);
  });
});
