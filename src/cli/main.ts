/**
 * The operator CLI: `npm run samokoder -- <command> [args]`. Each command is a module exporting
 * one command made by `defineCommand` (src/cli/command.ts); this file only loads `.env` and
 * dispatches, loading just the command that runs.
 */
import 'dotenv/config';
import type { Command } from './command.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  capacity: { summary: 'capacity [--retention 30d] — disk/memory Prometheus needs; when remote storage or federation is due', load: async () => (await import('./capacity.ts')).capacityCommand },
  doctor: { summary: 'check Prometheus targets/rules, Alertmanager config/silences/failed notifications, Grafana (exit 0 = healthy)', load: async () => (await import('./doctor.ts')).doctorCommand },
  htpasswd: { summary: 'htpasswd USER — add/change a basic-auth user for /prometheus/ and /alertmanager/ (password on stdin)', load: async () => (await import('./htpasswd.ts')).htpasswdCommand },
  'render-config': { summary: 'render Alertmanager config from .env (mode 0600)', load: async () => (await import('./render-config.ts')).renderConfigCommand },
  'render-prometheus': { summary: 'write prometheus.rendered.yml with remote_write from REMOTE_WRITE_URL (docker-compose)', load: async () => (await import('./render-prometheus.ts')).renderPrometheusCommand },
  'render-secrets': { summary: 'docker-compose: write every service\'s secret file (API, PostgreSQL, Redis, Alertmanager, exporters, Grafana; root)', load: async () => (await import('./render-secrets.ts')).renderSecretsCommand },
  'test-alert': { summary: 'test-alert [--severity critical|warning|info] — post a test alert, show where it routes', load: async () => (await import('./test-alert.ts')).testAlertCommand },
  traffic: { summary: 'bounded demo load; can inject LLM faults (see --help)', load: async () => (await import('./traffic.ts')).trafficCommand },
  user: { summary: 'user set-tier EMAIL TIER — change a user tier', load: async () => (await import('./user.ts')).userCommand },
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
process.exitCode = await (await command.load())(args);
