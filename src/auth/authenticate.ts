/**
 * The onRequest hook of authenticated routes: a valid Bearer access token or 401.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AppError } from '../errors.ts';
import { bearerToken } from '../bearer.ts';
import type { Tokens } from './tokens.ts';

/** Builds the hook that sets `request.userId` from the Bearer token. */
export function authenticator(tokens: Tokens): onRequestAsyncHookHandler {
  return async function authenticate(request: FastifyRequest) {
    const token = bearerToken(request);
    const userId = token ? await tokens.verify(token) : undefined;
    if (!userId) throw new AppError(401, 'unauthorized', 'A valid Bearer access token is required.', { 'WWW-Authenticate': 'Bearer' });
    request.userId = userId;
  };
}
