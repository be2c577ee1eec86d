/**
 * `user set-tier EMAIL TIER`: the operator's way to change a user's tier (free, pro,
 * enterprise). Users never choose their own tier.
 */
import { createUsers } from '../auth/users.ts';
import { apiSchema, parseEnv } from '../config.ts';
import { createDatabase } from '../db/database.ts';
import { USER_TIERS, type UserTier } from '../domain.ts';
import { defineCommand } from './command.ts';

const USAGE = `Usage: user set-tier EMAIL TIER   (TIER: ${USER_TIERS.join(' | ')})`;

/** `user`: the arguments after the command name in, the exit code out. */
export const userCommand = defineCommand({
  name: 'user',
  usage: USAGE,
  options: {},
  positionals: true,
  async action({ positionals, env, io, usageError, fail }) {
    const [sub, email, tier, ...extra] = positionals;
    if (sub !== 'set-tier' || !email || !tier || extra.length > 0) return usageError(sub === 'set-tier' ? 'give exactly an email and a tier' : `unknown subcommand '${sub ?? ''}'`);
    if (!(USER_TIERS as readonly string[]).includes(tier)) return usageError(`unknown tier '${tier}'`);
    const { DATABASE_URL, DB_TIMEOUT_MS } = parseEnv(apiSchema.pick({ DATABASE_URL: true, DB_TIMEOUT_MS: true }), env);
    const noMetrics = { observeDbQuery: () => undefined, recordDbError: () => undefined, watchPool: () => undefined };
    const db = createDatabase({ url: DATABASE_URL, poolMax: 1, timeoutMs: DB_TIMEOUT_MS }, noMetrics);
    try {
      if (!(await createUsers(db).setTier(email.toLowerCase(), tier as UserTier))) return fail(`no user with email ${email}`);
      io.out(`${email.toLowerCase()} is now on tier ${tier}`);
      return 0;
    } finally {
      await db.close();
    }
  },
});
