/**
 * `user set-tier EMAIL TIER`: the operator's way to change a user's tier (free, pro,
 * enterprise). Users never choose their own tier.
 */
import { createUsers } from '../auth/users.ts';
import { apiSchema, parseEnv } from '../config.ts';
import { createDatabase } from '../db/database.ts';
import { USER_TIERS, type UserTier } from '../metrics/catalogue.ts';

const USAGE = `Usage: user set-tier EMAIL TIER   (TIER: ${USER_TIERS.join(' | ')})`;

/** Runs `user <subcommand>`; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const [sub, email, tier] = args;
  if (sub !== 'set-tier' || !email || !tier) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (!(USER_TIERS as readonly string[]).includes(tier)) {
    process.stderr.write(`unknown tier '${tier}'. ${USAGE}\n`);
    return 2;
  }
  const { DATABASE_URL, DB_TIMEOUT_MS } = parseEnv(apiSchema.pick({ DATABASE_URL: true, DB_TIMEOUT_MS: true }));
  const noMetrics = { observeDbQuery: () => undefined, recordDbError: () => undefined, watchPool: () => undefined };
  const db = createDatabase({ url: DATABASE_URL, poolMax: 1, timeoutMs: DB_TIMEOUT_MS }, noMetrics);
  try {
    if (!(await createUsers(db).setTier(email.toLowerCase(), tier as UserTier))) {
      process.stderr.write(`no user with email ${email}\n`);
      return 1;
    }
    process.stdout.write(`${email.toLowerCase()} is now on tier ${tier}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
