/**
 * `POST /api/v1/auth/register` and `POST /api/v1/auth/login`.
 * Login failures count towards the account lockout; a locked account answers 429.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.ts';
import type { Metrics } from '../metrics/registry.ts';
import type { RateLimiter } from '../ratelimit/limiter.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { Tokens } from './tokens.ts';
import type { Users } from './users.ts';

const credentialsSchema = {
  type: 'object',
  required: ['email', 'password'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254 },
    password: { type: 'string', minLength: 8, maxLength: 256 },
  },
} as const;

interface Credentials {
  email: string;
  password: string;
}

// Verifying against a real hash when the user does not exist keeps the timing of both cases alike.
const decoyHash = hashPassword('decoy password never matches');

/** Registers the auth routes. */
export function authRoutes(deps: { users: Users; tokens: Tokens; limiter: RateLimiter; metrics: Pick<Metrics, 'recordAuthAttempt'> }) {
  const { users, tokens, limiter, metrics } = deps;
  return async (app: FastifyInstance) => {
    app.post<{ Body: Credentials }>(
      '/api/v1/auth/register',
      { schema: { body: credentialsSchema }, onRequest: limiter.guard('anonymous') },
      async (request, reply) => {
        const email = request.body.email.toLowerCase();
        const user = await users.create(email, await hashPassword(request.body.password));
        if (!user) throw new AppError(409, 'email_taken', 'An account with this email already exists.');
        return reply.code(201).send(user);
      },
    );

    app.post<{ Body: Credentials }>(
      '/api/v1/auth/login',
      { schema: { body: credentialsSchema }, onRequest: limiter.guard('login') },
      async (request) => {
        const user = await users.findByEmail(request.body.email.toLowerCase());
        if (user?.locked_until && user.locked_until > new Date()) {
          metrics.recordAuthAttempt('locked');
          const retryAfter = Math.ceil((user.locked_until.getTime() - Date.now()) / 1000);
          throw new AppError(429, 'account_locked', `Too many failed logins; the account is locked for ${Math.ceil(retryAfter / 60)} min.`, { 'Retry-After': retryAfter });
        }
        const valid = await verifyPassword(request.body.password, user?.password_hash ?? (await decoyHash));
        if (!user || !valid) {
          if (user) await users.recordFailure(user.id);
          metrics.recordAuthAttempt('failure');
          throw new AppError(401, 'invalid_credentials', 'Wrong email or password.');
        }
        await users.resetFailures(user.id);
        metrics.recordAuthAttempt('success');
        return { access_token: await tokens.sign(user.id), token_type: 'Bearer' };
      },
    );
  };
}

