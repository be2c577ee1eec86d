/**
 * Where the operator commands (`doctor`, `test-alert`) find the monitoring services, and the one
 * HTTP helper they share. PROMETHEUS_URL / ALERTMANAGER_URL point them at any stack (compose
 * included, with its /prometheus and /alertmanager prefixes); by default the local ports.
 */
import { stackSchema, parseEnv } from '../config.ts';

/** Base URLs without a trailing slash. */
export interface Endpoints {
  prometheus: string;
  alertmanager: string;
  /** Grafana (GRAFANA_URL), or the local stack's dashboard viewer, which answers the same health and datasource API. */
  dashboards?: string;
}

const trim = (url: string) => url.replace(/\/+$/, '');

/** The endpoints for `env` (throws ConfigError naming a bad variable). */
export function endpoints(env: NodeJS.ProcessEnv): Endpoints {
  const config = parseEnv(stackSchema, env);
  return {
    prometheus: trim(config.PROMETHEUS_URL ?? `http://127.0.0.1:${config.PROMETHEUS_PORT}`),
    alertmanager: trim(config.ALERTMANAGER_URL ?? `http://127.0.0.1:${config.ALERTMANAGER_PORT}`),
    // Without GRAFANA_URL: the local viewer, unless PROMETHEUS_URL says the stack is elsewhere.
    ...(config.GRAFANA_URL ? { dashboards: trim(config.GRAFANA_URL) } : config.PROMETHEUS_URL ? {} : { dashboards: `http://127.0.0.1:${config.DASHBOARD_PORT}` }),
  };
}

/** A request that failed; the message names the URL (without credentials) and the reason. */
export class HttpError extends Error {
  override name = 'HttpError';
}

/** The URL without user:password, for messages. */
export function displayUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

/**
 * Fetches `url` and returns the body (parsed as JSON unless `text`). Credentials in the URL
 * (`http://user:pass@host`) become a Basic Authorization header; fetch refuses them in the URL.
 */
export async function request(url: string, options: { method?: string; body?: unknown; text?: boolean } = {}): Promise<any> {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (u.username || u.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(u, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new HttpError(`${u} unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const body = await res.text();
  if (!res.ok) throw new HttpError(`${u} answered ${res.status}: ${body.slice(0, 200).trim()}`);
  if (options.text) return body;
  if (body === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw new HttpError(`${u} did not answer JSON`);
  }
}
