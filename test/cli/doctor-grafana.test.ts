// doctor's Grafana section against a small stand-in for Grafana's HTTP API (Grafana itself exists
// only as a container image): credentials from GRAFANA_URL become Basic auth, each datasource's
// health is reported, a failing one is a problem, 401 says where the credentials go.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { doctorCommand } from '../../src/cli/doctor.ts';
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
  return text.slice(text.indexOf('Grafana'));
}

test('healthy datasources are reported with their message; the password is never printed', async () => {
  lokiHealthy = true;
  const text = await grafanaSection(`http://admin:s3cret%20pw@${base}`);
  assert.match(text, /✔ up \(database ok, version 10\.4\.1\)/);
  assert.match(text, /✔ datasource Prometheus \(prometheus\): Successfully queried the Prometheus API\./);
  assert.match(text, /✔ datasource Loki \(loki\): Data source connected/);
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
