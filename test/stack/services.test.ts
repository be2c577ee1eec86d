import assert from 'node:assert/strict';
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
