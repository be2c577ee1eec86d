/**
 * docker-compose.yml: it parses with Debian's docker-compose, and every rule of issue 5 §1 holds
 * on the resolved file — pinned images, only nginx published, required secrets without defaults,
 * mounted files present, memory limits, healthchecks, names — and it agrees with the local stack's
 * service list (src/stack/services.ts), Prometheus' compose targets, and promtool.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { renderAlertmanagerConfig } from '../../src/monitoring/alertmanager.ts';
import { alertingSchema, parseEnv, stackSchema } from '../../src/config.ts';
import { OVERVIEW_UID, DASHBOARDS_DIR, DATASOURCES_DIR } from '../../src/monitoring/paths.ts';
import { SECRET_FILES, SECRETS_DIR, secretPath, SMTP_CA_INPUT, type SecretPointer } from '../../src/deploy/compose-secrets.ts';
import { SERVICES } from '../../src/stack/services.ts';
import { requireBinary } from '../../src/packages.ts';
import { COMPOSE_FILE, composeConfig, composeReferences, REQUIRED_COMPOSE_ENV, resolvedServices, ROOT, type ComposeService } from './support.ts';

const services = resolvedServices();
const names = Object.keys(services);

/** Services that run once and exit. */
const ONE_SHOT = new Set(['secrets']);
/** Services with no healthcheck of their own, and why. */
const NO_HEALTHCHECK: Record<string, string> = {
  api: 'the image has a HEALTHCHECK (checked in image.test.ts)',
  'redis-exporter': 'FROM scratch: no shell or wget; Prometheus watches it',
};
/** Services that must see the host itself (read-only). */
const HOST_READERS = new Set(['node-exporter', 'cadvisor']);
/** Host files the operator names in .env, by the service that reads them and where (read-only). */
const OPERATOR_FILES: Record<string, string[]> = { secrets: [SMTP_CA_INPUT] };
/** The operator guide's minimum memory per service, in bytes. */
const MIN_MEMORY: Record<string, number> = { prometheus: 2 * 1024 ** 3, grafana: 512 * 1024 ** 2, alertmanager: 256 * 1024 ** 2 };
/**
 * Compose services with no counterpart in the local stack (not installable from Debian, or compose
 * plumbing). Grafana has one: the dashboard viewer, which draws the same files (tested below).
 */
const COMPOSE_ONLY = new Set(['cadvisor', 'nginx', 'secrets']);

function bytes(limit: string | number | undefined): number {
  if (typeof limit === 'number') return limit;
  const m = /^([0-9.]+)([bkmg]?)b?$/i.exec(limit ?? '');
  assert.ok(m, `unreadable memory limit '${limit}'`);
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] as string).toLowerCase()] as number;
  return Number(m[1]) * unit;
}

/** Bind mounts of a service as [host, container, mode]. Named volumes are left out. */
function bindMounts(service: ComposeService): Array<[string, string, string]> {
  return (service.volumes ?? [])
    .map((v) => v.split(':') as [string, string, string?])
    .filter(([source]) => source.startsWith('/'))
    .map(([source, target, mode]) => [source, target, mode ?? 'rw']);
}

/** The host path behind `containerPath` in `service`, through its bind mounts. */
function hostPath(service: ComposeService, containerPath: string): string | undefined {
  for (const [source, target] of bindMounts(service)) {
    if (containerPath === target || containerPath.startsWith(`${target}/`)) return source + containerPath.slice(target.length);
  }
  return undefined;
}

function flag(service: ComposeService, name: string): string | undefined {
  const args = Array.isArray(service.command) ? service.command : [];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

test('docker-compose config accepts the file with the required variables set', () => {
  const result = composeConfig({ ...REQUIRED_COMPOSE_ENV });
  assert.equal(result.status, 0, result.stderr);
});

test('each required secret makes compose refuse to start when unset, naming it', () => {
  for (const name of Object.keys(REQUIRED_COMPOSE_ENV)) {
    const env: Record<string, string> = { ...REQUIRED_COMPOSE_ENV };
    delete env[name];
    const result = composeConfig(env);
    assert.notEqual(result.status, 0, `compose started without ${name}`);
    assert.match(result.stderr, new RegExp(`set ${name} in \\.env`));
  }
});

test('required secrets have no default anywhere: every reference uses ${VAR:?...}', () => {
  const refs = composeReferences();
  for (const name of Object.keys(REQUIRED_COMPOSE_ENV)) {
    const uses = refs.filter((r) => r.name === name);
    assert.ok(uses.length > 0, `${name} is not used`);
    for (const use of uses) assert.equal(use.operator, ':?', `${name} is used with '${use.operator}' instead of ':?'`);
  }
});

test('every image is pinned to an exact version; the built image carries package.json version', () => {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  for (const [name, service] of Object.entries(services)) {
    assert.ok(service.image, `${name} has no image`);
    const [, tag] = /:([^/:]+)$/.exec(service.image) ?? [];
    assert.ok(tag, `${name}: image '${service.image}' has no tag`);
    assert.notEqual(tag, 'latest', `${name}: image '${service.image}'`);
    // PostgreSQL's own versions have two parts (15.10); everything else has three.
    const exact = name === 'postgres' ? /^[0-9]+\.[0-9]+(-[a-z0-9.]+)?$/ : /^v?[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.]+)?$/;
    assert.match(tag, exact, `${name}: '${service.image}' is not an exact version`);
    if (service.build) assert.equal(tag, version, `${name}: the built image is tagged ${tag}, package.json says ${version}`);
    if (service.build) assert.equal(service.pull_policy, 'build', `${name}: a built image must never be pulled from a registry`);
  }
  const alertmanager = /:v0\.([0-9]+)\./.exec(services.alertmanager?.image ?? '');
  assert.ok(alertmanager && Number(alertmanager[1]) >= 26, 'Alertmanager must be >= 0.26 (bot_token_file)');
});

test('only nginx publishes ports, and only 80 and 443', () => {
  const published = names.filter((name) => (services[name]?.ports ?? []).length > 0);
  assert.deepEqual(published, ['nginx']);
  const ports = (services.nginx?.ports as Array<{ published: number | string; target: number | string }>).map((p) => `${p.published}:${p.target}`);
  assert.deepEqual(ports.sort(), ['443:443', '80:80']);
  for (const [name, service] of Object.entries(services)) {
    assert.notEqual((service as { network_mode?: string }).network_mode, 'host', `${name} uses the host network`);
    assert.notEqual((service as { privileged?: boolean }).privileged, true, `${name} is privileged`);
  }
});

test('container names are samokoder-<service>', () => {
  for (const [name, service] of Object.entries(services)) assert.equal(service.container_name, `samokoder-${name}`);
  for (const guideName of ['samokoder-prometheus', 'samokoder-alertmanager', 'samokoder-grafana']) {
    assert.ok(Object.values(services).some((s) => s.container_name === guideName), guideName);
  }
});

test("memory limits are set everywhere and meet the operator guide's minimums", () => {
  for (const [name, service] of Object.entries(services)) {
    assert.ok(service.mem_limit !== undefined, `${name} has no mem_limit`);
    assert.ok(bytes(service.mem_limit) >= (MIN_MEMORY[name] ?? 0), `${name}: ${service.mem_limit} is below the minimum`);
  }
});

test('healthchecks, restart policies and depends_on conditions', () => {
  for (const [name, service] of Object.entries(services)) {
    if (ONE_SHOT.has(name)) {
      assert.equal(service.restart, 'no', `${name} runs once`);
      continue;
    }
    assert.equal(service.restart, 'unless-stopped', name);
    if (!(name in NO_HEALTHCHECK)) assert.ok(service.healthcheck?.test, `${name} has no healthcheck`);
    const deps = service.depends_on ?? {};
    assert.ok(!Array.isArray(deps), `${name}: depends_on without conditions`);
    for (const [dep, { condition }] of Object.entries(deps)) {
      const target = services[dep];
      assert.ok(target, `${name} depends on unknown ${dep}`);
      const expected = ONE_SHOT.has(dep) ? 'service_completed_successfully' : target.healthcheck || dep === 'api' ? 'service_healthy' : 'service_started';
      assert.equal(condition, expected, `${name} -> ${dep}`);
    }
  }
});

test('every bind-mounted file or directory exists in the repository; host paths only for the host readers, read-only', () => {
  for (const [name, service] of Object.entries(services)) {
    for (const [source, target, mode] of bindMounts(service)) {
      if (source.startsWith(ROOT)) {
        assert.ok(existsSync(source), `${name}: ${source} (mounted at ${target}) does not exist`);
      } else if (OPERATOR_FILES[name]?.includes(target)) {
        assert.match(mode, /^ro/, `${name}: ${source} must be read-only`);
      } else {
        assert.ok(HOST_READERS.has(name), `${name} mounts host path ${source}`);
        assert.match(mode, /^ro/, `${name}: ${source} must be read-only`);
      }
    }
  }
});

test('the paths services are started with point at the mounted repository files', () => {
  const s = (name: string) => services[name] as ComposeService;
  assert.equal(hostPath(s('prometheus'), flag(s('prometheus'), '--config.file') ?? ''), join(ROOT, 'monitoring/prometheus/prometheus.yml'));
  const nginxArgs = s('nginx').command as string[];
  assert.equal(hostPath(s('nginx'), nginxArgs[nginxArgs.indexOf('-c') + 1] ?? ''), join(ROOT, 'monitoring/nginx/nginx.conf'));
  assert.equal(hostPath(s('grafana'), '/etc/grafana/provisioning/datasources'), join(ROOT, 'monitoring/grafana/provisioning/datasources'));
  const home = hostPath(s('grafana'), s('grafana').environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '');
  assert.equal(home, join(ROOT, 'monitoring/grafana/dashboards/samokoder-overview.json'));
  assert.ok(existsSync(home), `${home} does not exist`);

  // The templates directory Alertmanager's config is rendered for is the repository's templates.
  const render = s('secrets').command as string[];
  const templates = render[render.indexOf('--templates') + 1] as string;
  assert.equal(hostPath(s('alertmanager'), templates), join(ROOT, 'monitoring/alertmanager/templates'));
});

/** Named volumes of a service as {volume: [container path, mode]}. */
function namedVolumes(service: ComposeService): Record<string, [string, string]> {
  return Object.fromEntries(
    (service.volumes ?? [])
      .map((v) => v.split(':') as [string, string, string?])
      .filter(([source]) => !source.startsWith('/'))
      .map(([source, target, mode]) => [source, [target, mode ?? 'rw']]),
  );
}

/**
 * Whether `service` is told, the way `pointer` says, that its secret file is `path`. A file named
 * by another of its files needs that file to exist (compose-secrets.test.ts renders it and checks).
 */
function pointsAt(service: ComposeService, pointer: SecretPointer, path: string): boolean {
  const command = Array.isArray(service.command) ? service.command : [];
  if ('namedBy' in pointer) return SECRET_FILES.some((f) => secretPath(f) === join(dirname(path), pointer.namedBy));
  if ('env' in pointer) return service.environment?.[pointer.env] === path;
  if ('flag' in pointer) return flag(service, pointer.flag) === path;
  if ('argument' in pointer) return command.includes(path);
  return JSON.stringify(service.healthcheck?.test ?? '').includes(path);
}

test('each secret file reaches only its reader: its own volume, read-only, and the reader is pointed at it', () => {
  const secrets = services.secrets as ComposeService;
  const command = secrets.command as string[];
  assert.equal(command[command.indexOf('--dir') + 1], SECRETS_DIR);
  for (const file of SECRET_FILES) {
    const volume = `${file.reader}-secrets`;
    const reader = services[file.reader] as ComposeService;
    assert.deepEqual(namedVolumes(secrets)[volume], [`${SECRETS_DIR}/${file.reader}`, 'rw'], `secrets does not write ${volume}`);
    assert.deepEqual(namedVolumes(reader)[volume], [`${SECRETS_DIR}/${file.reader}`, 'ro'], `${file.reader} does not mount ${volume} read-only`);
    const others = names.filter((n) => n !== file.reader && n !== 'secrets' && volume in namedVolumes(services[n] as ComposeService));
    assert.deepEqual(others, [], `${volume} is mounted by ${others.join(', ')}`);
    assert.ok(pointsAt(reader, file.pointer, secretPath(file)), `${file.reader} is not pointed at ${file.name} as ${JSON.stringify(file.pointer)}`);
    assert.deepEqual((reader.depends_on as Record<string, { condition: string }>).secrets, { condition: 'service_completed_successfully' }, `${file.reader} may start before its file exists`);
  }
  // The redis exporter's password file is keyed by its exact address.
  assert.equal(command[command.indexOf('--redis-addr') + 1], services['redis-exporter']?.environment?.REDIS_ADDR);
});

test('the secrets one-shot runs as root with CHOWN only and no network', () => {
  const secrets = services.secrets as ComposeService & { network_mode?: string; cap_drop?: string[]; cap_add?: string[] };
  assert.equal(secrets.user, '0:0', 'it gives each file to its reader\'s user');
  assert.equal(secrets.network_mode, 'none');
  assert.deepEqual(secrets.cap_drop, ['ALL']);
  assert.deepEqual(secrets.cap_add, ['CHOWN']);
});

test('no secret reaches a long-running container through its environment or command: only the one-shot secrets service has them', () => {
  const values = { ...REQUIRED_COMPOSE_ENV, TELEGRAM_BOT_TOKEN: '123456:telegram-token-value', SMTP_PASS: 'smtp-password-value', ADMIN_TOKEN: 'admin-token-value-0123', LLM_API_KEY: 'llm-api-key-value' };
  const result = composeConfig(values);
  assert.equal(result.status, 0, result.stderr);
  const resolved = (parse(result.stdout) as { services: Record<string, ComposeService> }).services;
  for (const [name, service] of Object.entries(resolved)) {
    const visible = JSON.stringify([service.environment ?? {}, service.command ?? '', service.healthcheck ?? {}]);
    const found = Object.entries(values).filter(([, value]) => visible.includes(value)).map(([key]) => key);
    assert.deepEqual(found.sort(), name === 'secrets' ? Object.keys(values).sort() : [], `secrets in the environment of ${name}`);
  }
});

test('Prometheus and Alertmanager run under the prefixes nginx serves them at; retention from .env', () => {
  const prometheus = services.prometheus as ComposeService;
  assert.match(flag(prometheus, '--web.external-url') ?? '', /\/prometheus\/$/);
  assert.match(flag(services.alertmanager as ComposeService, '--web.external-url') ?? '', /\/alertmanager\/$/);
  assert.ok((prometheus.command as string[]).includes('--enable-feature=expand-external-labels'));
  assert.equal(flag(prometheus, '--storage.tsdb.retention.time'), '30d');
  assert.ok(flag(prometheus, '--storage.tsdb.retention.size'), 'no size cap');
  const raw = readFileSync(COMPOSE_FILE, 'utf8');
  assert.match(raw, /--storage\.tsdb\.retention\.time=\$\{PROMETHEUS_RETENTION:-30d\}/);
  // prometheus.yml's external labels come from these two.
  assert.ok(prometheus.environment?.SAMOKODER_ENV && prometheus.environment?.REGION);
});

test('alert links point where nginx serves them under PUBLIC_URL: dashboards at Grafana\'s root URL, silences below Alertmanager\'s', () => {
  const result = composeConfig({ ...REQUIRED_COMPOSE_ENV, PUBLIC_URL: 'https://monitoring.example.com' });
  assert.equal(result.status, 0, result.stderr);
  const resolved = (parse(result.stdout) as { services: Record<string, ComposeService> }).services;
  // The secrets one-shot renders Alertmanager's config from its own environment.
  const alerting = parseEnv(alertingSchema, Object.fromEntries(Object.entries(resolved.secrets?.environment ?? {}).map(([k, v]) => [k, v ?? ''])));
  assert.equal(`${alerting.DASHBOARD_URL}/`, resolved.grafana?.environment?.GF_SERVER_ROOT_URL, "the dashboard links open Grafana, which nginx serves at / (nginx.test.ts)");
  const withTelegram = renderAlertmanagerConfig({ ...alerting, TELEGRAM_BOT_TOKEN: '123456:abc', TELEGRAM_CHAT_ID: '-1001' }, { templatesDir: '/etc/alertmanager/templates' });
  const receivers = parse(withTelegram.yaml).receivers as Array<{ name: string; telegram_configs?: Array<{ message: string }> }>;
  const message = receivers.find((r) => r.name === 'telegram')?.telegram_configs?.[0]?.message ?? '';
  assert.ok(message.startsWith(`{{ define "samokoder.dashboard_url" }}{{ "https://monitoring.example.com/d/${OVERVIEW_UID}" }}{{ end }}`), message);
  // Silence links are built on Alertmanager's external URL, which nginx serves at /alertmanager/.
  assert.equal(flag(resolved.alertmanager as ComposeService, '--web.external-url'), 'https://monitoring.example.com/alertmanager/');
  assert.equal(flag(resolved.prometheus as ComposeService, '--web.external-url'), 'https://monitoring.example.com/prometheus/', "the graph links' base");
});

test('the services match the local stack list: same names, same internal ports', () => {
  const stackServices = SERVICES.filter((s) => s.compose).map((s) => s.compose as { service: string; port: number });
  assert.deepEqual(
    names.filter((n) => !COMPOSE_ONLY.has(n)).sort(),
    stackServices.map((s) => s.service).sort(),
  );
  for (const { service, port } of stackServices) {
    assert.deepEqual(services[service]?.expose, [String(port)], `${service} should expose ${port}`);
  }
});

test("the local dashboard viewer stands in for compose's Grafana: its port, and the very files Grafana provisions", () => {
  const viewer = SERVICES.find((s) => s.name === 'dashboard');
  assert.deepEqual(viewer?.compose, { service: 'grafana', port: 3000 });
  assert.equal(stackSchema.shape.DASHBOARD_PORT.parse(undefined), viewer?.compose?.port, 'the local default is the port the operator guide gives for Grafana');
  const grafana = services.grafana as ComposeService;
  assert.equal(hostPath(grafana, '/etc/grafana/dashboards'), DASHBOARDS_DIR.replace(/\/$/, ''));
  assert.equal(hostPath(grafana, '/etc/grafana/provisioning/datasources'), DATASOURCES_DIR.replace(/\/$/, ''));
});

test('every compose scrape target in monitoring/prometheus/targets/ is a service on a port it exposes', () => {
  const dir = join(ROOT, 'monitoring/prometheus/targets');
  const jobs = (parse(readFileSync(join(ROOT, 'monitoring/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ file_sd_configs: Array<{ files: string[] }> }> }).scrape_configs;
  const files = jobs.flatMap((j) => j.file_sd_configs.flatMap((c) => c.files));
  assert.ok(files.length >= 7);
  const reachable = (file: string, address: string) => {
    const [host, port] = address.split(':') as [string, string];
    const service = services[host];
    assert.ok(service, `${file}: ${address} is not a compose service`);
    // Inside the compose network: a port it exposes, or (nginx) the container side of a published one.
    const published = (service.ports ?? []).map((p) => (typeof p === 'object' && p !== null ? String((p as { target: number }).target) : String(p).split(':').pop()?.replace(/\/tcp$/, '')));
    const ports = [...(service.expose ?? []), ...published];
    assert.ok(ports.includes(port), `${file}: ${host} does not listen on ${port}`);
  };
  for (const file of files) {
    for (const group of parse(readFileSync(join(dir, '..', file), 'utf8')) as Array<{ targets: string[]; labels?: Record<string, string> }>) {
      // A prober's target is the URL it probes; the prober itself is __prober.
      const prober = group.labels?.__prober;
      if (prober) reachable(file, prober);
      for (const target of group.targets) {
        const url = prober ? new URL(target) : undefined;
        reachable(file, url ? `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}` : target);
      }
    }
  }
});

test('promtool check config accepts the Prometheus configuration compose mounts', () => {
  const config = hostPath(services.prometheus as ComposeService, flag(services.prometheus as ComposeService, '--config.file') ?? '') as string;
  const result = spawnSync(requireBinary('promtool'), ['check', 'config', config], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /SUCCESS/);
});
