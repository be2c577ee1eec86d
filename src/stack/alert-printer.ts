/**
 * The local stack's alert printer: a tiny Alertmanager webhook receiver on 127.0.0.1 that turns
 * each notification into terminal lines (firing / resolved, with the summary). Alertmanager sends
 * here when no channel (Telegram, email) is configured, so a new user still sees alerts.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One alert of an Alertmanager webhook notification (the fields the printer uses). */
interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A running printer. */
export interface AlertPrinter {
  readonly port: number;
  /** The webhook URL to give Alertmanager. */
  readonly url: string;
  close(): Promise<void>;
}

/** The terminal line for one alert, e.g. `🔥 FIRING  critical APIDown (api): Samokoder API is down`. */
export function formatAlert(alert: WebhookAlert): string {
  const severity = alert.labels.severity ?? 'none';
  const where = alert.labels.instance ?? alert.labels.component;
  const head = alert.status === 'resolved' ? '✅ RESOLVED' : '🔥 FIRING  ';
  const summary = alert.annotations?.summary ?? alert.annotations?.description ?? '';
  return `${head} ${severity} ${alert.labels.alertname ?? '(no alertname)'}${where ? ` (${where})` : ''}${summary ? `: ${summary}` : ''}`;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 5 * 1024 * 1024) throw new Error('payload too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Starts the printer on 127.0.0.1:`port` (0: any free port), accepting `POST <path>`.
 * `print` receives one line per alert of each notification.
 */
export async function startAlertPrinter(port: number, path: string, print: (line: string) => void): Promise<AlertPrinter> {
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== path) {
      res.writeHead(404).end();
      return;
    }
    readJson(req)
      .then((body) => {
        const alerts = (body as { alerts?: WebhookAlert[] }).alerts;
        if (!Array.isArray(alerts)) throw new Error('no alerts array');
        for (const alert of alerts) print(formatAlert(alert));
        res.writeHead(200).end();
      })
      .catch((err: Error) => res.writeHead(400, { 'content-type': 'text/plain' }).end(err.message));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
