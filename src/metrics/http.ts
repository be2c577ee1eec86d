/**
 * HTTP instrumentation: counts every answered request by method, route template and status,
 * times it, and tracks requests in progress. Label cells (src/metrics/cells.ts) are resolved once
 * per (route, method) and kept, so the request path does two map lookups and adds to plain numbers.
 *
 * Unmatched requests share one `endpoint` value and unknown methods fold into one `method` value,
 * so scanners and random ids cannot create series. `/metrics` itself is not counted.
 *
 * The recording itself lives in {@link createHttpRecorder}, which the hooks call and the
 * benchmarks (bench/hot-path.ts) measure, so the figure is the cost of exactly this code.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createRequire } from 'node:module';
import type { HistogramCell, ValueCell } from './cells.ts';
import { HTTP_METHODS, OTHER_METHOD, UNMATCHED_ENDPOINT } from './catalogue.ts';
import type { Metrics } from './registry.ts';

/** Label cells of one (route, method) pair. */
export interface RouteChildren {
  labels: { method: string; endpoint: string };
  duration: HistogramCell;
  inProgress: ValueCell;
  byStatus: Map<number, ValueCell>;
}

/** Records HTTP requests into the catalogue's three HTTP metrics. */
export interface HttpRecorder {
  /** A request to `endpoint` (route template) with `method` began: returns its children, in-progress raised. */
  start(endpoint: string, method: string): RouteChildren;
  /** The request of `route` ended with `status` after `seconds`. */
  finish(route: RouteChildren, status: number, seconds: number): void;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(HTTP_METHODS);

/**
 * Fastify's key of a request's route context. `request.routeOptions` (the public way) builds a
 * 13-field object on every read (~100-240 ns and garbage, bench/hot-path.ts); the context holds
 * the same route template. test/metrics/http.test.ts checks both agree, so a Fastify upgrade that
 * moves it fails there; without the key the public getter is used.
 */
const kRouteContext = (createRequire(import.meta.url)('fastify/lib/symbols.js') as { kRouteContext?: symbol }).kRouteContext;

/** The matched route template of `request` (undefined when no route matched), as `request.routeOptions.url`. */
export function routeTemplate(request: FastifyRequest): string | undefined {
  const context = kRouteContext ? ((request as unknown as Record<symbol, { config?: { url?: string } } | undefined>)[kRouteContext]) : undefined;
  return context ? context.config?.url : request.routeOptions.url;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set while a counted request is in flight; cleared once recorded. */
    metricsRoute: RouteChildren | null;
  }
}

/** The recorder over `http`, caching label cells per (route, method) and counter cells per status. */
export function createHttpRecorder(http: Metrics['http']): HttpRecorder {
  const routes = new Map<string, Map<string, RouteChildren>>();

  function childrenFor(endpoint: string, rawMethod: string): RouteChildren {
    const method = KNOWN_METHODS.has(rawMethod) ? rawMethod : OTHER_METHOD;
    let byMethod = routes.get(endpoint);
    if (!byMethod) routes.set(endpoint, (byMethod = new Map()));
    let children = byMethod.get(method);
    if (!children) {
      const labels = { method, endpoint };
      children = { labels, duration: http.duration.cell(labels), inProgress: http.inProgress.cell(labels), byStatus: new Map() };
      byMethod.set(method, children);
    }
    return children;
  }

  return {
    start(endpoint, method) {
      const route = childrenFor(endpoint, method);
      route.inProgress.value += 1;
      return route;
    },
    finish(route, status, seconds) {
      route.inProgress.value -= 1;
      route.duration.observe(seconds);
      let counter = route.byStatus.get(status);
      if (!counter) route.byStatus.set(status, (counter = http.requests.cell({ ...route.labels, status: String(status) })));
      counter.value += 1;
    },
  };
}

/** Adds the instrumentation hooks to `app` (call before registering routes). */
export function instrumentHttp(app: FastifyInstance, http: Metrics['http'], excludedPaths: readonly string[] = ['/metrics']): void {
  const recorder = createHttpRecorder(http);
  const excluded = new Set(excludedPaths);

  function finish(request: FastifyRequest, status: number, seconds: number): void {
    const route = request.metricsRoute;
    if (!route) return;
    request.metricsRoute = null;
    recorder.finish(route, status, seconds);
  }

  app.decorateRequest('metricsRoute', null);
  app.addHook('onRequest', (request, _reply, done) => {
    const endpoint = routeTemplate(request) ?? UNMATCHED_ENDPOINT;
    if (!excluded.has(endpoint)) request.metricsRoute = recorder.start(endpoint, request.method);
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
