/**
 * `user set-tier EMAIL TIER`: the operator's way to change a user's tier (free, pro,
 * enterprise). Users never choose their own tier.
 */
import { createUsers } from '../auth/users.ts';
import { apiSchema, parseEnv } from '../config.ts';
import { createDatabase } from '../db/database.ts';
import { USER_TIERS, type UserTier } from '../domain.ts';
import { commandArgs, processOutput, type Output } from './args.ts';

const USAGE = `Usage: user set-tier EMAIL TIER   (TIER: ${USER_TIERS.join(' | ')})`;

/** Runs `user <subcommand>` with `argv` (the arguments after the command name) against `env`; returns the exit code. */
export async function userCommand(argv: string[], env: NodeJS.ProcessEnv, output: Output): Promise<number> {
  const args = commandArgs('user', USAGE, argv, {}, output, true);
  if (typeof args === 'number') return args;
  const [sub, email, tier] = args.positionals;
  if (sub !== 'set-tier' || !email || !tier) {
    output.err(USAGE);
    return 2;
  }
  if (!(USER_TIERS as readonly string[]).includes(tier)) {
    output.err(`unknown tier '${tier}'. ${USAGE}`);
    return 2;
  }
  const { DATABASE_URL, DB_TIMEOUT_MS } = parseEnv(apiSchema.pick({ DATABASE_URL: true, DB_TIMEOUT_MS: true }), env);
  const noMetrics = { observeDbQuery: () => undefined, recordDbError: () => undefined, watchPool: () => undefined };
  const db = createDatabase({ url: DATABASE_URL, poolMax: 1, timeoutMs: DB_TIMEOUT_MS }, noMetrics);
  try {
    if (!(await createUsers(db).setTier(email.toLowerCase(), tier as UserTier))) {
      output.err(`no user with email ${email}`);
      return 1;
    }
    output.out(`${email.toLowerCase()} is now on tier ${tier}`);
    return 0;
  } finally {
    await db.close();
  }
}

/** Entry point for the CLI dispatcher. */
export async function run(args: string[]): Promise<number> {
  return userCommand(args, process.env, processOutput);
}
