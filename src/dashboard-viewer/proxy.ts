/**
 * The viewer's read-only Prometheus proxy: Prometheus' instant and range queries
 * (`/api/v1/query`, `/api/v1/query_range`), GET or POST, and nothing else. Parameters are checked
 * and re-encoded, never passed through: only the ones those two endpoints read, a range of at most
 * {@link MAX_RANGE_SECONDS} and at most {@link MAX_POINTS} points per series (Prometheus' own
 * limit), and a bounded evaluation timeout. Every refusal is a 4xx with a JSON body in Prometheus'
 * error format, so the page shows it like any query error.
 */

/** The two Prometheus endpoints the proxy forwards, by the path below `/api/v1/`. */
export const PROXIED_ENDPOINTS = ['query', 'query_range'] as const;
export type ProxiedEndpoint = (typeof PROXIED_ENDPOINTS)[number];

/** The longest range a range query may cover: a month and a day (the picker's longest is 7 days). */
export const MAX_RANGE_SECONDS = 32 * 86_400;
/** Points per series of a range query: Prometheus refuses more than 11,000 itself. */
export const MAX_POINTS = 11_000;
/** The longest evaluation Prometheus is asked for. */
export const MAX_TIMEOUT_SECONDS = 30;
/** The longest query text (a dashboard's longest is under 1 KiB). */
export const MAX_QUERY_LENGTH = 16_384;

const PARAMETERS: Record<ProxiedEndpoint, readonly string[]> = {
  query: ['query', 'time', 'timeout'],
  query_range: ['query', 'start', 'end', 'step', 'timeout'],
};

/** A request the proxy refuses: its status and the message of the JSON error body. */
export class ProxyRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800, y: 31_536_000 };

/** Seconds from a Prometheus duration (`15s`, `1m30s`) or a number of seconds (`15`, `0.5`). */
function seconds(name: string, text: string): number {
  if (/^[0-9]+(\.[0-9]+)?$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length > 0 && parts.map((p) => p[0]).join('') === text) return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] as string] as number), 0);
  throw new ProxyRefusal(400, `${name} must be a duration such as 15s or a number of seconds`);
}

/** Unix seconds from a Unix timestamp (`1700000000.123`) or RFC 3339 text, as Prometheus accepts them. */
function timestamp(name: string, text: string): number {
  if (/^[0-9]+(\.[0-9]+)?$/.test(text)) return Number(text);
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new ProxyRefusal(400, `${name} must be a Unix timestamp or RFC 3339 time`);
  return ms / 1000;
}

/**
 * The form Prometheus is sent for `endpoint` with the request's `params` (query string and form
 * body together), or a {@link ProxyRefusal}: an unknown or repeated parameter, a missing query, a
 * range over {@link MAX_RANGE_SECONDS} or over {@link MAX_POINTS} points.
 */
export function checkedParameters(endpoint: ProxiedEndpoint, params: URLSearchParams): URLSearchParams {
  const allowed = PARAMETERS[endpoint];
  const out = new URLSearchParams();
  for (const name of new Set(params.keys())) {
    if (!allowed.includes(name)) throw new ProxyRefusal(400, `parameter ${JSON.stringify(name)} is not forwarded (allowed for ${endpoint}: ${allowed.join(', ')})`);
    if (params.getAll(name).length > 1) throw new ProxyRefusal(400, `parameter ${name} is given more than once`);
  }
  const query = params.get('query') ?? '';
  if (query.trim() === '') throw new ProxyRefusal(400, 'query is required');
  if (query.length > MAX_QUERY_LENGTH) throw new ProxyRefusal(400, `query is longer than ${MAX_QUERY_LENGTH} characters`);
  out.set('query', query);
  const timeout = Math.min(params.has('timeout') ? seconds('timeout', params.get('timeout') as string) : MAX_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
  out.set('timeout', `${timeout}s`);
  if (endpoint === 'query') {
    if (params.has('time')) out.set('time', String(timestamp('time', params.get('time') as string)));
    return out;
  }
  for (const name of ['start', 'end', 'step']) if (!params.has(name)) throw new ProxyRefusal(400, `${name} is required for query_range`);
  const start = timestamp('start', params.get('start') as string);
  const end = timestamp('end', params.get('end') as string);
  const step = seconds('step', params.get('step') as string);
  if (end < start) throw new ProxyRefusal(400, 'end is before start');
  if (step <= 0) throw new ProxyRefusal(400, 'step must be positive');
  if (end - start > MAX_RANGE_SECONDS) throw new ProxyRefusal(400, `the range is longer than ${MAX_RANGE_SECONDS / 86_400} days`);
  if ((end - start) / step + 1 > MAX_POINTS) throw new ProxyRefusal(400, `the range asks for more than ${MAX_POINTS} points per series: use a larger step`);
  out.set('start', String(start));
  out.set('end', String(end));
  out.set('step', String(step));
  return out;
}

/** The answer to forward: Prometheus' status and JSON body, or a 502 in its error format. */
export async function forward(prometheusUrl: string, endpoint: ProxiedEndpoint, form: URLSearchParams): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(`${prometheusUrl}/api/v1/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      signal: AbortSignal.timeout((MAX_TIMEOUT_SECONDS + 5) * 1000),
    });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; errors?: Array<{ code?: string }> } }).cause;
    const reason = cause?.code ?? cause?.errors?.[0]?.code ?? (err as Error).message;
    return { status: 502, body: JSON.stringify({ status: 'error', errorType: 'unavailable', error: `Prometheus unreachable: ${reason}` }) };
  }
}
