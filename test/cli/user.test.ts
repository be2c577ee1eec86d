import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { userCommand as run } from '../../src/cli/user.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi();
  process.env.DATABASE_URL = api.postgres.databaseUrl;
});
after(() => api.close());

test('user set-tier changes the tier of an existing user; unknown users and tiers are refused', async () => {
  const { email } = await api.user();
  assert.equal(await run(['set-tier', email.toUpperCase(), 'enterprise']), 0);
  const { rows } = await api.deps.db.query<{ tier: string }>('SELECT tier FROM users WHERE email = $1', [email]);
  assert.equal(rows[0]?.tier, 'enterprise');
  assert.equal(await run(['set-tier', 'nobody@example.com', 'pro']), 1);
  assert.equal(await run(['set-tier', email, 'gold']), 2);
  assert.equal(await run(['promote', email]), 2);
});
