/**
 * The operator CLI: `npm run samokoder -- <command> [args]`. Each command is a module exporting
 * `run(args): Promise<number>` (the exit code); this file only loads `.env` and dispatches.
 */
import 'dotenv/config';
import { ConfigError } from '../config.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: (args: string[]) => Promise<number> }> }> = {
  capacity: { summary: 'capacity [--retention 30d] — disk/memory Prometheus needs; when remote storage or federation is due', load: () => import('./capacity.ts') },
  doctor: { summary: 'check Prometheus targets/rules, Alertmanager config/silences/failed notifications, Grafana (exit 0 = healthy)', load: () => import('./doctor.ts') },
  htpasswd: { summary: 'htpasswd USER — add/change a basic-auth user for /prometheus/ and /alertmanager/ (password on stdin)', load: () => import('./htpasswd.ts') },
  'render-config': { summary: 'render Alertmanager config from .env (mode 0600)', load: () => import('./render-config.ts') },
  'render-prometheus': { summary: 'write prometheus.rendered.yml with remote_write from REMOTE_WRITE_URL (docker-compose)', load: () => import('./render-prometheus.ts') },
  'render-secrets': { summary: 'docker-compose: write every service\'s secret file (API, PostgreSQL, Redis, Alertmanager, exporters, Grafana; root)', load: () => import('./render-secrets.ts') },
  'test-alert': { summary: 'test-alert [--severity critical|warning|info] — post a test alert, show where it routes', load: () => import('./test-alert.ts') },
  traffic: { summary: 'bounded demo load; can inject LLM faults (see --help)', load: () => import('./traffic.ts') },
  user: { summary: 'user set-tier EMAIL TIER — change a user tier', load: () => import('./user.ts') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)}${c.summary}`);
  return `Usage: npm run samokoder -- <command> [args]\n\nCommands:\n${lines.join('\n')}\n`;
}

const [name, ...args] = process.argv.slice(2);
const command = name ? COMMANDS[name] : undefined;
if (!command) {
  process.stderr.write(name && name !== 'help' && name !== '--help' ? `unknown command '${name}'\n\n${usage()}` : usage());
  process.exit(name && name !== 'help' && name !== '--help' ? 2 : 0);
}
try {
  process.exitCode = await (await command.load()).run(args);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
}
