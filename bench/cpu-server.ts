/**
 * The server side of bench/instrumentation-cpu.ts, run as a child process so the load generator's
 * CPU is not counted: one Fastify app with one route, instrumented by `variant` (argv[2]):
 * `none`, `empty-hooks` (the hook and the response listener ours uses, doing nothing: Fastify's
 * dispatch and Node's listener cost), `ours` (src/metrics/http.ts over the API's registry) or `fastify-metrics` (its defaults).
 *
 * IPC protocol: sends `{ port }` once listening; on `'start'` it notes process.cpuUsage(), the
 * clock and the request count, on `'stop'` it answers `{ cpuMicros, requests, elapsedMicros }` for
 * the interval; `'exit'` ends it.
 */
import Fastify, { type FastifyPluginAsync } from 'fastify';
import fastifyMetrics from 'fastify-metrics';
import { instrumentHttp } from '../src/metrics/http.ts';
import { apiLikeMetrics, CPU_VARIANTS, type CpuVariant } from './lib.ts';

const variant = process.argv[2] as CpuVariant;
if (!CPU_VARIANTS.includes(variant)) throw new Error(`unknown variant ${variant}`);

const app = Fastify({ logger: false });
if (variant === 'ours') instrumentHttp(app, apiLikeMetrics().http);
if (variant === 'empty-hooks') {
  const nothing = () => {};
  app.addHook('onRequest', (_request, reply, done) => {
    reply.raw.once('close', nothing);
    done();
  });
}
// Its CommonJS default export is typed as a namespace under NodeNext; at run time it is the plugin.
if (variant === 'fastify-metrics') await app.register(fastifyMetrics as unknown as FastifyPluginAsync<{ endpoint: string }>, { endpoint: '/metrics' });

let served = 0;
app.get('/api/v1/items/:id', async () => {
  served++;
  return { ok: true };
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });

let startCpu = process.cpuUsage();
let startTime = performance.now();
let startServed = 0;
process.on('message', (message) => {
  if (message === 'start') {
    startCpu = process.cpuUsage();
    startTime = performance.now();
    startServed = served;
  } else if (message === 'stop') {
    const cpu = process.cpuUsage(startCpu);
    process.send?.({ cpuMicros: cpu.user + cpu.system, requests: served - startServed, elapsedMicros: (performance.now() - startTime) * 1000 });
  } else if (message === 'exit') {
    void app.close().then(() => process.exit(0));
  }
});
