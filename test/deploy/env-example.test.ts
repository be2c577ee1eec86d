/**
 * `.env.example` documents exactly the variables of src/config.ts (allEnvKeys), covers every
 * `${VAR}` docker-compose.yml reads, holds no real-looking secret, and a `.env` copied from it
 * parses with every schema once the required values are filled in.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse as parseDotenv } from 'dotenv';
import { alertingSchema, allEnvKeys, apiSchema, parseEnv, stackSchema } from '../../src/config.ts';
import { composeReferences, documentedVariables, ENV_EXAMPLE, REQUIRED_COMPOSE_ENV } from './support.ts';

const documented = documentedVariables();

test('.env.example names every variable of the schema, and nothing else', () => {
  const missing = allEnvKeys.filter((key) => !documented.includes(key));
  const unknown = documented.filter((key) => !allEnvKeys.includes(key));
  assert.deepEqual(missing, [], `not in .env.example: ${missing.join(', ')}`);
  assert.deepEqual(unknown, [], `in .env.example but not in src/config.ts: ${unknown.join(', ')}`);
});

test('.env.example names each variable once', () => {
  const repeated = documented.filter((key, i) => documented.indexOf(key) !== i);
  assert.deepEqual(repeated, []);
});

test('every ${VAR} in docker-compose.yml is documented in .env.example', () => {
  const undocumented = [...new Set(composeReferences().map((r) => r.name))].filter((name) => !documented.includes(name));
  assert.deepEqual(undocumented, []);
});

/** Defaults that are the host file compose bind-mounts while the variable is unset, not a value of it. */
const MOUNT_DEFAULTS: Record<string, string> = { SMTP_CA_FILE: '/dev/null' };

test('compose defaults of schema variables are values the schema accepts', () => {
  const sections = [apiSchema, alertingSchema, stackSchema];
  for (const ref of composeReferences().filter((r) => r.operator === ':-' && MOUNT_DEFAULTS[r.name] !== r.rest)) {
    const schema = sections.find((s) => ref.name in s.shape);
    if (!schema) continue; // compose-only (PUBLIC_URL)
    const field = schema.shape[ref.name as keyof typeof schema.shape] as { safeParse: (v: unknown) => { success: boolean } };
    assert.ok(field.safeParse(ref.rest).success, `\${${ref.name}:-${ref.rest}} is not a valid ${ref.name}`);
  }
});

test('.env.example holds placeholders only: every active assignment is empty', () => {
  const assigned = [...readFileSync(ENV_EXAMPLE, 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].filter((m) => m[2] !== '');
  assert.deepEqual(assigned.map((m) => m[1]), []);
});

test('a .env copied from .env.example parses with every schema once the required values are filled in', () => {
  const env = {
    ...parseDotenv(readFileSync(ENV_EXAMPLE)),
    ...REQUIRED_COMPOSE_ENV,
    // What compose (or `npm start`) provides.
    DATABASE_URL: 'postgresql://samokoder:x@127.0.0.1:5432/samokoder',
    REDIS_URL: 'redis://127.0.0.1:6379',
  };
  for (const schema of [apiSchema, alertingSchema, stackSchema]) assert.doesNotThrow(() => parseEnv(schema, env));
  // And the commented defaults are the schema's own.
  const defaults = [...readFileSync(ENV_EXAMPLE, 'utf8').matchAll(/^# ([A-Z][A-Z0-9_]*)=(.+)$/gm)];
  assert.ok(defaults.length > 10);
  for (const [, name, value] of defaults) {
    const schema = [apiSchema, alertingSchema, stackSchema].find((s) => (name as string) in s.shape);
    if (!schema) continue;
    const field = schema.shape[name as keyof typeof schema.shape] as { safeParse: (v: unknown) => { success: boolean } };
    assert.ok(field.safeParse(value).success, `# ${name}=${value} is not a valid ${name}`);
  }
});
