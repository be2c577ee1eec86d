/**
 * The users table: accounts, tiers, and the login-failure counters behind account lockout
 * (5 failures within 15 minutes lock the account for 15 minutes).
 */
import type { Database } from '../db/database.ts';
import type { UserTier } from '../domain.ts';

export const LOCKOUT = { failures: 5, windowMinutes: 15, lockMinutes: 15 } as const;

export interface User {
  id: string;
  email: string;
  tier: UserTier;
}

interface UserRow extends User {
  password_hash: string;
  locked_until: Date | null;
}

/** Repository functions over `users`. */
export function createUsers(db: Pick<Database, 'query'>) {
  return {
    /** Creates a free-tier user; undefined when the email is taken. */
    async create(email: string, passwordHash: string): Promise<User | undefined> {
      const { rows } = await db.query<User>(
        'INSERT INTO users (email, password_hash) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING RETURNING id, email, tier',
        [email, passwordHash],
      );
      return rows[0];
    },
    async findByEmail(email: string): Promise<UserRow | undefined> {
      const { rows } = await db.query<UserRow>('SELECT id, email, tier, password_hash, locked_until FROM users WHERE email = $1', [email]);
      return rows[0];
    },
    async findById(id: string): Promise<User | undefined> {
      const { rows } = await db.query<User>('SELECT id, email, tier FROM users WHERE id = $1', [id]);
      return rows[0];
    },
    /**
     * Counts a failed login; locks the account when the window's failures reach the limit. One
     * statement, so concurrent failures each count: every expression reads the same (latest) row.
     */
    async recordFailure(id: string): Promise<void> {
      const recent = 'first_failed_login_at > now() - make_interval(mins => $2)';
      const failures = `(CASE WHEN ${recent} THEN failed_logins + 1 ELSE 1 END)`;
      const locks = `${failures} >= $3`;
      await db.query(
        `UPDATE users SET
           failed_logins = CASE WHEN ${locks} THEN 0 ELSE ${failures} END,
           first_failed_login_at = CASE WHEN ${locks} THEN NULL WHEN ${recent} THEN first_failed_login_at ELSE now() END,
           locked_until = CASE WHEN ${locks} THEN now() + make_interval(mins => $4) ELSE locked_until END
         WHERE id = $1`,
        [id, LOCKOUT.windowMinutes, LOCKOUT.failures, LOCKOUT.lockMinutes],
      );
    },
    async resetFailures(id: string): Promise<void> {
      await db.query('UPDATE users SET failed_logins = 0, first_failed_login_at = NULL, locked_until = NULL WHERE id = $1', [id]);
    },
    /** Operator action: sets the tier of the user with `email`; false when there is none. */
    async setTier(email: string, tier: UserTier): Promise<boolean> {
      const { rowCount } = await db.query('UPDATE users SET tier = $2 WHERE email = $1', [email, tier]);
      return rowCount === 1;
    },
  };
}

export type Users = ReturnType<typeof createUsers>;
