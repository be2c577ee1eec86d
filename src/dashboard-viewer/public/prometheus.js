/**
 * Queries through the viewer's datasource proxy (Grafana's path: /api/datasources/proxy/uid/<uid>),
 * as form POSTs like Grafana's Prometheus datasource with `httpMethod: POST`. Results come back as
 * series of `{ labels, points: [[seconds, value], ...] }`.
 */

/** A query that failed: Prometheus' (or the proxy's) error text. */
export class QueryError extends Error {}

const number = (text) => (text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text));

/** Runs `endpoint` ('query' or 'query_range') with `params` on datasource `uid`. */
export async function promQuery(uid, endpoint, params, signal) {
  const res = await fetch(`/api/datasources/proxy/uid/${encodeURIComponent(uid)}/api/v1/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
    signal,
  });
  const body = await res.json().catch(() => ({ status: 'error', error: `the proxy answered ${res.status}` }));
  if (body.status !== 'success') throw new QueryError(body.error ?? `the proxy answered ${res.status}`);
  const { resultType, result } = body.data;
  if (resultType === 'matrix') return result.map((s) => ({ labels: s.metric, points: s.values.map(([t, v]) => [t, number(v)]) }));
  if (resultType === 'vector') return result.map((s) => ({ labels: s.metric, points: [[s.value[0], number(s.value[1])]] }));
  if (resultType === 'scalar') return [{ labels: {}, points: [[result[0], number(result[1])]] }];
  throw new QueryError(`unexpected result type ${resultType}`);
}
