/**
 * HTTP instrumentation. User requests are counted by method, route template and status, timed,
 * and tracked while in progress; probe, scrape and operator requests (routes declared with
 * `config: { traffic: 'internal' }`: /health, /metrics, the admin routes) only go to their own
 * counter, so health checks never weigh in the user SLIs. Label cells (src/metrics/cells.ts) are
 * resolved once per (route, method) and kept: the request path does two map lookups and adds to
 * plain numbers.
 *
 * A request ends when it is answered or when its connection closes first (the client or the proxy
 * gave up, or the idle-connection timeout cut a hung request): the latter is status 499, timed to
 * the moment the connection closed, so a hung API shows in latency and as failures.
 *
 * Every declared user route starts with its failure series at 0 ({@link FAILURE_STATUSES}), so
 * the first failure after a start moves `rate()`. Unmatched requests share one `endpoint` value
 * and unknown methods fold into one `method` value, so scanners and random ids cannot create series.
 *
 * The recording itself lives in {@link createHttpRecorder}, which the request hook calls and the
 * benchmarks (bench/hot-path.ts) measure, so the figure is the cost of exactly this code.
 */
import type { FastifyInstance } from 'fastify';
import type { HistogramCell, ValueCell } from './cells.ts';
import { ABANDONED_STATUS, FAILURE_STATUSES, HTTP_METHODS, OTHER_METHOD, UNMATCHED_ENDPOINT } from './catalogue.ts';
import type { Metrics } from './registry.ts';

/** Whose requests a route serves: users (the SLIs), or probes, scrapers and operators. */
export type TrafficClass = 'user' | 'internal';

/** Label cells of one (route, method) pair; internal routes have a counter only. */
export interface RouteChildren {
  labels: { method: string; endpoint: string };
  duration: HistogramCell | null;
  inProgress: ValueCell | null;
  byStatus: Map<number, ValueCell>;
  traffic: TrafficClass;
}

/** Records HTTP requests into the catalogue's HTTP metrics. */
export interface HttpRecorder {
  /** Declares a route before any request: its traffic class, and for user routes the failure series at 0. */
  declare(endpoint: string, methods: readonly string[], traffic: TrafficClass): void;
  /** A request to `endpoint` (route template) with `method` began: returns its children, in-progress raised. */
  start(endpoint: string, method: string): RouteChildren;
  /** The request of `route` ended with `status` after `seconds`. */
  finish(route: RouteChildren, status: number, seconds: number): void;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(HTTP_METHODS);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `internal` keeps the route's requests out of the user request metrics (default `user`). */
    traffic?: TrafficClass;
  }
}

/** The recorder over `http`, caching label cells per (route, method) and counter cells per status. */
export function createHttpRecorder(http: Metrics['http']): HttpRecorder {
  const routes = new Map<string, Map<string, RouteChildren>>();
  const internal = new Set<string>();

  function childrenFor(endpoint: string, rawMethod: string): RouteChildren {
    const method = KNOWN_METHODS.has(rawMethod) ? rawMethod : OTHER_METHOD;
    let byMethod = routes.get(endpoint);
    if (!byMethod) routes.set(endpoint, (byMethod = new Map()));
    let children = byMethod.get(method);
    if (!children) {
      const labels = { method, endpoint };
      children = internal.has(endpoint)
        ? { labels, duration: null, inProgress: null, byStatus: new Map(), traffic: 'internal' }
        : { labels, duration: http.duration.cell(labels), inProgress: http.inProgress.cell(labels), byStatus: new Map(), traffic: 'user' };
      byMethod.set(method, children);
    }
    return children;
  }

  function statusCell(route: RouteChildren, status: number): ValueCell {
    let counter = route.byStatus.get(status);
    if (!counter) {
      const metric = route.traffic === 'user' ? http.requests : http.internal;
      route.byStatus.set(status, (counter = metric.cell({ ...route.labels, status: String(status) })));
    }
    return counter;
  }

  return {
    declare(endpoint, methods, traffic) {
      if (traffic === 'internal') {
        internal.add(endpoint);
        return;
      }
      for (const method of methods) {
        const route = childrenFor(endpoint, method);
        for (const status of FAILURE_STATUSES) statusCell(route, status);
      }
    },
    start(endpoint, method) {
      const route = childrenFor(endpoint, method);
      if (route.inProgress) route.inProgress.value += 1;
      return route;
    },
    finish(route, status, seconds) {
      if (route.inProgress) route.inProgress.value -= 1;
      if (route.duration) route.duration.observe(seconds);
      statusCell(route, status).value += 1;
    },
  };
}

/**
 * Adds the instrumentation to `app` (call before registering routes): one `onRequest` hook that
 * starts the request's record and one `close` listener on its response that ends it. A response
 * closes once it is sent and also when its connection closes first, so the one listener sees both
 * the answered request (its status) and the abandoned one ({@link ABANDONED_STATUS}, timed to the
 * close). Fastify's onResponse and onRequestAbort hooks would see the same two ends at several µs
 * more per request (each adds its own listeners and hook dispatch; docs/benchmarks.md).
 */
export function instrumentHttp(app: FastifyInstance, http: Metrics['http']): void {
  const recorder = createHttpRecorder(http);
  // HEAD routes Fastify adds beside GET ones share their handler: no failure series of their own.
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat().filter((m) => m !== 'HEAD');
    recorder.declare(route.url, methods, route.config?.traffic ?? 'user');
  });
  app.addHook('onRequest', (request, reply, done) => {
    const start = performance.now();
    // Fastify's public route template (undefined when no route matched): one read per request.
    const route = recorder.start(request.routeOptions.url ?? UNMATCHED_ENDPOINT, request.method);
    const response = reply.raw;
    response.once('close', () => recorder.finish(route, response.writableEnded ? response.statusCode : ABANDONED_STATUS, (performance.now() - start) / 1000));
    done();
  });
}
