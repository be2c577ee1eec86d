/**
 * The dashboard viewer's HTTP server: the page (plain ES modules from ./public/ and uPlot from
 * node_modules), the part of Grafana's HTTP API the page and `doctor` use (`/api/health`,
 * `/api/search`, `/api/dashboards/uid/:uid`, `/api/datasources`, a datasource's health), and the
 * read-only Prometheus proxy at Grafana's datasource proxy path (./proxy.ts). URLs are Grafana's:
 * `/dashboards` lists the dashboards, `/d/<uid>/<slug>` shows one, `/` is the home dashboard.
 * It listens on 127.0.0.1 only.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS_DIR, OVERVIEW_UID } from '../monitoring/paths.ts';
import { VERSION } from '../version.ts';
import { checkedParameters, forward, PROXIED_ENDPOINTS, ProxyRefusal, type ProxiedEndpoint } from './proxy.ts';
import { loadDashboards, loadDatasources, slug, type DashboardJson } from './sources.ts';

/** The dashboard `/` shows: the one compose's Grafana has as its home dashboard (a test checks they agree). */
export const HOME_DASHBOARD_UID = OVERVIEW_UID;

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const require = createRequire(import.meta.url);

/** URL path → file of everything the page loads: its own modules, and uPlot as npm installed it. */
const STATIC: Record<string, string> = {
  '/public/vendor/uPlot.esm.js': require.resolve('uplot/dist/uPlot.esm.js'),
  '/public/vendor/uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
};

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml' };

/** Scripts only from here, no inline code, nothing framed: a label value that slips into markup still cannot run. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The largest request body read (a query form is well under it). */
const MAX_BODY = 64 * 1024;

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store', ...headers }).end(body);
}

const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, 'application/json', JSON.stringify(body));
/** A proxy error in Prometheus' format, which the page shows like any query error. */
const promError = (res: ServerResponse, status: number, error: string) => json(res, status, { status: 'error', errorType: 'bad_data', error });

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ProxyRefusal(413, `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function publicFile(path: string): string | undefined {
  if (STATIC[path]) return STATIC[path];
  // Only plain names below /public/ (no dot segments, no encoded characters): a file of ./public/.
  const m = /^\/public\/((?:[a-z0-9-]+\/)*[a-z0-9-]+\.(?:js|css|html|svg))$/.exec(path);
  return m ? join(PUBLIC_DIR, m[1] as string) : undefined;
}

function summary(d: DashboardJson) {
  return { uid: d.uid, title: d.title, tags: d.tags ?? [], type: 'dash-db', url: `/d/${d.uid}/${slug(d.title)}` };
}

/** The datasource proxy: `/api/datasources/proxy/uid/<uid>/api/v1/<query|query_range>`, GET or POST. */
async function proxy(req: IncomingMessage, res: ServerResponse, url: URL, prometheusUrl: string): Promise<void> {
  const m = /^\/api\/datasources\/proxy\/uid\/([^/]+)\/(.*)$/.exec(url.pathname) as RegExpExecArray;
  const uid = decodeURIComponent(m[1] as string);
  const source = loadDatasources().find((d) => d.uid === uid);
  if (!source || source.type !== 'prometheus') return promError(res, 404, `no Prometheus datasource with uid ${JSON.stringify(uid)}`);
  const endpoint = /^api\/v1\/([a-z_]+)$/.exec(m[2] as string)?.[1];
  if (!endpoint || !PROXIED_ENDPOINTS.includes(endpoint as ProxiedEndpoint)) {
    return promError(res, 404, `only ${PROXIED_ENDPOINTS.map((e) => `api/v1/${e}`).join(' and ')} are forwarded`);
  }
  if (req.method !== 'GET' && req.method !== 'POST') {
    return send(res, 405, 'application/json', JSON.stringify({ status: 'error', errorType: 'bad_data', error: `method ${req.method} is not forwarded (GET or POST)` }), { allow: 'GET, POST' });
  }
  try {
    const params = new URLSearchParams(url.search);
    if (req.method === 'POST') {
      const type = req.headers['content-type'] ?? '';
      if (!type.startsWith('application/x-www-form-urlencoded')) throw new ProxyRefusal(415, 'a POST body must be application/x-www-form-urlencoded');
      for (const [k, v] of new URLSearchParams(await readBody(req))) params.append(k, v);
    }
    const answer = await forward(prometheusUrl, endpoint as ProxiedEndpoint, checkedParameters(endpoint as ProxiedEndpoint, params));
    send(res, answer.status, 'application/json', answer.body);
  } catch (err) {
    if (!(err instanceof ProxyRefusal)) throw err;
    promError(res, err.status, err.message);
  }
}

async function route(req: IncomingMessage, res: ServerResponse, prometheusUrl: string, dashboardsDir: string): Promise<void> {
  const dashboards = () => loadDashboards(dashboardsDir);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const path = url.pathname;
  if (path.startsWith('/api/datasources/proxy/')) return proxy(req, res, url, prometheusUrl);
  if (req.method !== 'GET') return send(res, 405, 'application/json', JSON.stringify({ message: `method ${req.method} not allowed` }), { allow: 'GET' });

  if (path === '/') {
    const home = dashboards().find((d) => d.uid === HOME_DASHBOARD_UID);
    return send(res, 302, 'text/plain', '', { location: home ? summary(home).url : '/dashboards' });
  }
  if (path === '/dashboards' || /^\/d\/[^/]+(\/[^/]*)?$/.test(path)) {
    return send(res, 200, TYPES['.html'] as string, readFileSync(join(PUBLIC_DIR, 'index.html')));
  }
  const file = publicFile(path);
  if (file) {
    try {
      return send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file), { 'cache-control': 'no-cache' });
    } catch {
      return json(res, 404, { message: 'not found' });
    }
  }

  if (path === '/api/health') return json(res, 200, { version: VERSION, dashboards: dashboards().length });
  if (path === '/api/search') return json(res, 200, dashboards().map(summary));
  const dashboard = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(path);
  if (dashboard) {
    const uid = decodeURIComponent(dashboard[1] as string);
    const found = dashboards().find((d) => d.uid === uid);
    if (!found) return json(res, 404, { message: 'Dashboard not found' });
    return json(res, 200, { dashboard: found, meta: { slug: slug(found.title), url: summary(found).url, provisioned: true, canSave: false, canEdit: false } });
  }
  if (path === '/api/datasources') return json(res, 200, loadDatasources());
  const health = /^\/api\/datasources\/uid\/([^/]+)\/health$/.exec(path);
  if (health) {
    const source = loadDatasources().find((d) => d.uid === decodeURIComponent(health[1] as string));
    if (!source) return json(res, 404, { message: 'Data source not found' });
    // What Grafana's own check does: a trivial query through the same path as every panel's.
    const answer = await forward(prometheusUrl, 'query', new URLSearchParams({ query: '1+1', timeout: '5s' }));
    const ok = answer.status === 200 && (JSON.parse(answer.body) as { status?: string }).status === 'success';
    return json(res, ok ? 200 : 400, ok ? { status: 'OK', message: 'Successfully queried the Prometheus API.' } : { status: 'ERROR', message: `Prometheus answered ${answer.status}: ${answer.body.slice(0, 200)}` });
  }
  return json(res, 404, { message: 'not found' });
}

/** A running viewer. */
export interface Viewer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** How a viewer runs besides its port and Prometheus. */
export interface ViewerOptions {
  /** Called with an error a request hit (it is answered 500 without details). */
  onError?: (err: Error) => void;
  /** Where the dashboard files are: the ones Grafana provisions unless told otherwise (as Grafana's file provider has a path). */
  dashboardsDir?: string;
}

/** Starts the viewer on 127.0.0.1:`port` (0: any free port), querying the Prometheus at `prometheusUrl`. */
export async function startViewer(port: number, prometheusUrl: string, { onError = () => {}, dashboardsDir = DASHBOARDS_DIR }: ViewerOptions = {}): Promise<Viewer> {
  const upstream = prometheusUrl.replace(/\/+$/, '');
  const server = createServer((req, res) => {
    route(req, res, upstream, dashboardsDir).catch((err: Error) => {
      onError(err);
      if (!res.headersSent) json(res, 500, { message: 'internal error (see the dashboard log)' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
