/**
 * Loopback ports: find a free one (tests), or check that a configured one is free (`npm start`),
 * so a port in use is reported by name before anything starts.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port handed out: above the well-known and most registered service ports. */
const LOWEST_PORT = 20000;

/**
 * The first port the kernel uses for outgoing connections. Ports are handed out below it: a port
 * the OS picks (`listen(0)`) or any connection's local port comes from that range, so a port found
 * free there can be taken by someone's connection before the service that was given it binds it.
 */
function ephemeralRangeStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > LOWEST_PORT + 1000 ? first : 32768;
  } catch {
    return 32768;
  }
}

const span = ephemeralRangeStart() - LOWEST_PORT;
/**
 * Where this process starts looking: spread by process id with a golden-ratio stride, so test
 * files running side by side (nearby pids) hand out disjoint stretches of ports instead of racing
 * for the same ones.
 */
let cursor = Math.floor(((process.pid * 0.6180339887) % 1) * span);

/** A free TCP port on 127.0.0.1, below the ephemeral range, not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < span; tries++) {
    const port = LOWEST_PORT + (cursor++ % span);
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free port on 127.0.0.1 between ${LOWEST_PORT} and ${LOWEST_PORT + span - 1}`);
}

/** True when nothing listens on 127.0.0.1:`port`. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
