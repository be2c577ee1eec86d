// doctor's dashboards section against a small stand-in for Grafana's HTTP API (Grafana itself exists
// only as a container image): credentials from GRAFANA_URL become Basic auth, each datasource's
// health is reported, a failing one is a problem, 401 says where the credentials go. Without
// GRAFANA_URL it checks the local dashboard viewer (the real one here), which answers the same API.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { doctorCommand } from '../../src/cli/doctor.ts';
import { startViewer } from '../../src/dashboard-viewer/viewer.ts';
import { freePort } from '../../src/stack/ports.ts';

const AUTH = `Basic ${Buffer.from('admin:s3cret pw').toString('base64')}`;
let server: Server;
let base: string;
let lokiHealthy = true;

before(async () => {
  server = createServer((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/api/health') return json(200, { database: 'ok', version: '10.4.1' });
    if (req.headers.authorization !== AUTH) return json(401, { message: 'Unauthorized' });
    if (req.url === '/api/datasources') return json(200, [{ uid: 'prometheus', name: 'Prometheus', type: 'prometheus' }, { uid: 'loki', name: 'Loki', type: 'loki' }]);
    if (req.url === '/api/datasources/uid/prometheus/health') return json(200, { status: 'OK', message: 'Successfully queried the Prometheus API.' });
    if (req.url === '/api/search?type=dash-db') return json(200, [{ uid: 'samokoder-overview', title: 'Samokoder Overview', type: 'dash-db' }]);
    if (req.url === '/api/datasources/uid/loki/health') return lokiHealthy ? json(200, { status: 'OK', message: 'Data source connected' }) : json(400, { status: 'ERROR', message: 'Unable to connect with Loki' });
    return json(404, { message: 'Not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function grafanaSection(grafanaUrl: string): Promise<string> {
  const port = await freePort(); // no Prometheus or Alertmanager: only the Grafana lines matter here
  const lines: string[] = [];
  const out = (l: string) => lines.push(l);
  await doctorCommand([], { PROMETHEUS_URL: `http://127.0.0.1:${port}`, ALERTMANAGER_URL: `http://127.0.0.1:${port}`, GRAFANA_URL: grafanaUrl }, { out, err: out });
  const text = lines.join('\n');
  return text.slice(text.indexOf('Dashboards'));
}

test('healthy datasources are reported with their message; the password is never printed', async () => {
  lokiHealthy = true;
  const text = await grafanaSection(`http://admin:s3cret%20pw@${base}`);
  assert.match(text, /✔ up \(database ok, version 10\.4\.1\)/);
  assert.match(text, /✔ datasource Prometheus \(prometheus\): Successfully queried the Prometheus API\./);
  assert.match(text, /✔ datasource Loki \(loki\): Data source connected/);
  assert.match(text, /✔ dashboards: Samokoder Overview/);
  assert.doesNotMatch(text, /✖/);
  assert.ok(!text.includes('s3cret'), text);
});

test('a failing datasource is a problem naming it', async () => {
  lokiHealthy = false;
  const text = await grafanaSection(`http://admin:s3cret%20pw@${base}`);
  assert.match(text, /✖ datasource Loki \(loki\): .*Unable to connect with Loki/);
  assert.match(text, /✔ datasource Prometheus/);
});

test('without credentials: 401, and where to put them', async () => {
  const text = await grafanaSection(`http://${base}`);
  assert.match(text, /✖ .*answered 401.*put credentials in GRAFANA_URL/);
});

test('without GRAFANA_URL: the local dashboard viewer, its datasource through its proxy, its dashboards', async () => {
  const nothing = await freePort(); // no Prometheus: the viewer's datasource check fails, and says so
  const viewer = await startViewer(0, `http://127.0.0.1:${nothing}`);
  try {
    const lines: string[] = [];
    const out = (l: string) => lines.push(l);
    const port = new URL(viewer.url).port;
    await doctorCommand([], { PROMETHEUS_PORT: String(nothing), ALERTMANAGER_PORT: String(nothing), DASHBOARD_PORT: port }, { out, err: out });
    const text = lines.join('\n');
    const section = text.slice(text.indexOf('Dashboards'));
    assert.match(section, new RegExp(`^Dashboards http://127\\.0\\.0\\.1:${port}/\n  ✔ up \\(version \\d+\\.\\d+\\.\\d+\\)`));
    assert.match(section, /✖ datasource Prometheus \(prometheus\): .*answered 400: .*Prometheus answered 502: .*unreachable: ECONNREFUSED/);
    assert.match(section, /✔ dashboards: Samokoder Overview/);
  } finally {
    await viewer.close();
  }
  // PROMETHEUS_URL elsewhere and no GRAFANA_URL: the local viewer is not assumed.
  const lines: string[] = [];
  const out = (l: string) => lines.push(l);
  await doctorCommand([], { PROMETHEUS_URL: `http://127.0.0.1:${nothing}`, ALERTMANAGER_URL: `http://127.0.0.1:${nothing}` }, { out, err: out });
  assert.match(lines.join('\n'), /Dashboards: GRAFANA_URL not set, skipped/);
});

