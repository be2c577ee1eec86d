/**
 * HTTP instrumentation: counts every answered request by method, route template and status,
 * times it, and tracks requests in progress. Label children are resolved once per
 * (route, method) and kept, so the request path does two map lookups and three updates.
 *
 * Unmatched requests share one `endpoint` value and unknown methods fold into one `method` value,
 * so scanners and random ids cannot create series. `/metrics` itself is not counted.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Counter, Gauge, Histogram, LabelValues } from 'prom-client';
import { HTTP_METHODS, OTHER_METHOD, UNMATCHED_ENDPOINT } from './catalogue.ts';
import type { Metrics } from './registry.ts';

type Child<T> = T extends Counter<infer L> ? ReturnType<Counter<L>['labels']> : never;

/** Label children of one (route, method) pair. */
interface RouteChildren {
  labels: LabelValues<'method' | 'endpoint'>;
  duration: ReturnType<Histogram<'method' | 'endpoint'>['labels']>;
  inProgress: ReturnType<Gauge<'method' | 'endpoint'>['labels']>;
  byStatus: Map<number, Child<Counter<'method' | 'endpoint' | 'status'>>>;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(HTTP_METHODS);

declare module 'fastify' {
  interface FastifyRequest {
    /** Set while a counted request is in flight; cleared once recorded. */
    metricsRoute: RouteChildren | null;
  }
}

/** Adds the instrumentation hooks to `app` (call before registering routes). */
export function instrumentHttp(app: FastifyInstance, http: Metrics['http'], excludedPaths: readonly string[] = ['/metrics']): void {
  const routes = new Map<string, Map<string, RouteChildren>>();
  const excluded = new Set(excludedPaths);

  function childrenFor(endpoint: string, rawMethod: string): RouteChildren {
    const method = KNOWN_METHODS.has(rawMethod) ? rawMethod : OTHER_METHOD;
    let byMethod = routes.get(endpoint);
    if (!byMethod) routes.set(endpoint, (byMethod = new Map()));
    let children = byMethod.get(method);
    if (!children) {
      const labels = { method, endpoint };
      children = { labels, duration: http.duration.labels(labels), inProgress: http.inProgress.labels(labels), byStatus: new Map() };
      byMethod.set(method, children);
    }
    return children;
  }

  function finish(request: FastifyRequest, status: number, seconds: number): void {
    const route = request.metricsRoute;
    if (!route) return;
    request.metricsRoute = null;
    route.inProgress.dec();
    route.duration.observe(seconds);
    let counter = route.byStatus.get(status);
    if (!counter) route.byStatus.set(status, (counter = http.requests.labels({ ...route.labels, status: String(status) })));
    counter.inc();
  }

  app.decorateRequest('metricsRoute', null);
  app.addHook('onRequest', (request, _reply, done) => {
    const endpoint = request.routeOptions.url ?? UNMATCHED_ENDPOINT;
    if (!excluded.has(endpoint)) {
      const route = childrenFor(endpoint, request.method);
      route.inProgress.inc();
      request.metricsRoute = route;
    }
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  // A client that goes away before the answer still leaves "in progress"; count it as nginx does (499).
  app.addHook('onRequestAbort', (request, done) => {
    finish(request, 499, 0);
    done();
  });
}
