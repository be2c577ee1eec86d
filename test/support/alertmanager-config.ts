/**
 * Rendering Alertmanager configs for tests, running the real `amtool` on them, and starting the
 * real Alertmanager with one.
 * The credentials here are fake and shaped like real ones, so they also serve to check that
 * secrets never leak into warnings or output.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { renderAlertmanagerConfig, type RenderedConfig } from '../../src/monitoring/alertmanager.ts';
import { TEMPLATES_DIR } from '../../src/monitoring/paths.ts';
import { alertingSchema, parseEnv } from '../../src/config.ts';
import { startAlertmanager, type RunningAlertmanager } from '../../src/stack/alertmanager.ts';
import { requireBinary } from '../../src/packages.ts';
import { freePort } from '../../src/stack/ports.ts';
import { writePrivateFile } from '../../src/private-file.ts';

/** Fake credentials (not a real bot, not a real account). */
export const SECRETS = {
  TELEGRAM_BOT_TOKEN: '123456:fake-token-for-tests_x9',
  SMTP_PASS: 'fake-smtp-password-x9',
} as const;

export const TELEGRAM_ENV = { TELEGRAM_BOT_TOKEN: SECRETS.TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID: '-1001234567890' };
export const EMAIL_ENV = {
  ALERT_EMAIL: 'oncall@example.com',
  SMTP_HOST: 'smtp.example.com',
  SMTP_PORT: '587',
  SMTP_USER: 'alerts@example.com',
  SMTP_PASS: SECRETS.SMTP_PASS,
};

/** The four channel combinations issue 3 requires to render and route. */
export const VARIANTS = {
  none: {},
  telegram: TELEGRAM_ENV,
  email: EMAIL_ENV,
  both: { ...TELEGRAM_ENV, ...EMAIL_ENV },
} as const satisfies Record<string, Record<string, string>>;

export type Variant = keyof typeof VARIANTS;

/** Parses `env` with the alerting schema, renders, and writes `<dir>/<name>.yml`. */
export function renderTo(dir: string, name: string, env: Record<string, string>, templatesDir = TEMPLATES_DIR): RenderedConfig & { file: string } {
  const rendered = renderAlertmanagerConfig(parseEnv(alertingSchema, env), { templatesDir });
  const file = join(dir, `${name}.yml`);
  writePrivateFile(file, rendered.yaml);
  return { ...rendered, file };
}

/** Runs the real amtool; never throws on a non-zero exit. */
export function amtool(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(requireBinary('amtool'), args, { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The receivers Alertmanager picks for an alert with `labels`, in order (amtool's answer). */
export function routeReceivers(configFile: string, labels: Record<string, string>): string[] {
  const result = amtool(['config', 'routes', 'test', `--config.file=${configFile}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  if (result.status !== 0) throw new Error(`amtool config routes test failed: ${result.stderr}`);
  return result.stdout.trim().split(',');
}

type Route = { group_wait?: string; group_interval?: string; routes?: Route[] };

/**
 * Shortens the timings of `route` and its children in place (group_wait 1s, group_interval 2s),
 * so live tests see notifications in seconds; the real timings are asserted in routing.test.ts.
 */
export function shortenTimings(route: Route): void {
  if (route.group_wait !== undefined) route.group_wait = '1s';
  if (route.group_interval !== undefined) route.group_interval = '2s';
  for (const child of route.routes ?? []) shortenTimings(child);
}

/** {@link renderTo} with {@link shortenTimings} applied; returns the file. */
export function renderShortened(dir: string, name: string, env: Record<string, string>): string {
  const { file } = renderTo(dir, name, env);
  const doc = parse(readFileSync(file, 'utf8'), { intAsBigInt: true });
  shortenTimings(doc.route);
  writePrivateFile(file, stringify(doc, { version: '1.1' }));
  return file;
}

/** A real Alertmanager started by {@link startTestAlertmanager}. */
export interface TestAlertmanager extends RunningAlertmanager {
  configFile: string;
  logFile: string;
}

/**
 * The real Alertmanager on a free loopback port, with the config rendered from `env` into
 * `<dir>/<name>.yml` and its timings shortened ({@link shortenTimings}); its data and its log
 * (`<dir>/<name>.log`) stay in `dir`, so several can share one.
 */
export async function startTestAlertmanager(dir: string, env: Record<string, string>, name = 'alertmanager'): Promise<TestAlertmanager> {
  const file = renderShortened(dir, name, env);
  const logFile = join(dir, `${name}.log`);
  const am = await startAlertmanager({ configFile: file, dataDir: join(dir, `${name}-data`), port: await freePort(), logFile });
  return { ...am, configFile: file, logFile };
}
