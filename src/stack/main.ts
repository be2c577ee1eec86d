/**
 * `npm start`: the whole local stack in the foreground (src/stack/stack.ts). Loads `.env`, parses
 * and validates the configuration once (one line naming a bad variable, exit 1, before anything starts),
 * starts everything, prints the URLs and the active alert channels, then prints only alerts and
 * errors (each service logs to DATA_DIR/logs/). Ctrl+C or SIGTERM stops every child.
 */
import 'dotenv/config';
import { ConfigError } from '../config.ts';
import { MissingBinaryError } from '../packages.ts';
import { parseStackSettings } from './settings.ts';
import { apiDownWorstCaseMs, startStack, StackError, type RunningStack } from './stack.ts';

const err = (line: string) => process.stderr.write(`${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);

function printSummary(stack: RunningStack): void {
  const rows: Array<[string, string]> = [
    ['API Metrics', stack.urls.metrics],
    ['API', stack.urls.api],
    ['Prometheus', stack.urls.prometheus],
    ['AlertManager', stack.urls.alertmanager],
    ['Dashboards', `${stack.urls.dashboard} (the Samokoder Overview; Grafana in docker-compose)`],
  ];
  out('');
  out('Samokoder stack is up:');
  for (const [name, url] of rows) out(`  ${name.padEnd(13)} ${url}`);
  const { telegram, email } = stack.channels;
  const active = [telegram && 'Telegram', email && 'email'].filter(Boolean);
  out(`Alert channels: ${active.length ? active.join(' + ') : 'none configured: alerts are printed here'}`);
  for (const warning of stack.warnings) err(`warning: ${warning}`);
  out(`Data: ${stack.dataDir}   Logs: ${stack.logDir}/<service>.log`);
  out(`Try it: kill ${stack.service('api').process.pid} (the API); APIDown arrives within ${Math.round(apiDownWorstCaseMs(stack) / 1000)} s. Ctrl+C stops everything.`);
  out('');
}

let stack: RunningStack | undefined;
let stopping = false;
/** Aborted by a signal during the start: startStack then stops what it started and throws. */
const starting = new AbortController();

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  err('Stopping the stack...');
  if (!stack) {
    starting.abort();
    return;
  }
  await stack.stop();
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void shutdown(0));
}

try {
  const settings = parseStackSettings(process.env);
  err('Starting the Samokoder stack (PostgreSQL, Redis, API, exporters, Alertmanager, Prometheus, dashboards)...');
  stack = await startStack(settings, {
    signal: starting.signal,
    onProgress: (line) => {
      if (!stopping) err(`  ${line}`);
    },
    onCrash: (service, exit, tail) => {
      if (stopping || !stack) return;
      const last = tail.split('\n').slice(-5).join('\n');
      err(`ERROR: ${service} exited unexpectedly (${exit}); the rest keeps running. Log: ${stack.logDir}/${service}.log; last lines:\n${last}`);
    },
  });
  if (starting.signal.aborted) {
    // The signal came after the last check inside startStack.
    await stack.stop();
    process.exit(0);
  }
  printSummary(stack);
} catch (e) {
  if (e instanceof ConfigError || e instanceof StackError || e instanceof MissingBinaryError) {
    err(e.message);
    process.exit(stopping ? 0 : 1);
  }
  throw e;
}
