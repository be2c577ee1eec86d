import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { test } from 'node:test';
import pg from 'pg';
import { testPostgres, testRedis } from '../support/services.ts';
import { Redis } from 'ioredis';

test('PostgreSQL starts on loopback with the application role and database', async () => {
  const pgServer = await testPostgres();
  try {
    const client = new pg.Client({ connectionString: pgServer.databaseUrl });
    await client.connect();
    const { rows } = await client.query('SELECT current_user AS u, current_database() AS d, inet_server_addr()::text AS addr');
    await client.end();
    assert.deepEqual(rows[0], { u: 'samokoder', d: 'samokoder', addr: '127.0.0.1/32' });
  } finally {
    await pgServer.stop();
  }
});

test('Redis starts on loopback and answers', async () => {
  const redis = await testRedis();
  try {
    const client = new Redis(redis.redisUrl, { lazyConnect: true });
    await client.connect();
    assert.equal(await client.ping(), 'PONG');
    client.disconnect();
  } finally {
    await redis.stop();
  }
});

test('Redis with a password: the URL carries it, a client without it is refused, the command line never shows it', async () => {
  const password = 'p@ss word "quoted" \\ back';
  const redis = await testRedis({ password });
  const authed = new Redis(redis.redisUrl, { lazyConnect: true });
  try {
    await authed.connect();
    assert.equal(await authed.ping(), 'PONG');
    const anonymous = createConnection({ host: '127.0.0.1', port: redis.port });
    anonymous.write('PING\r\n');
    const [reply] = (await once(anonymous, 'data')) as [Buffer];
    anonymous.destroy();
    assert.match(reply.toString(), /^-NOAUTH/);
    assert.ok(!readFileSync(`/proc/${redis.process.pid}/cmdline`, 'utf8').includes('p@ss'), 'the password is on the command line');
  } finally {
    authed.disconnect();
    await redis.stop();
  }
});
