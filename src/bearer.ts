/**
 * Reading `Authorization: Bearer <token>`, shared by user authentication, the admin routes and
 * the optional `/metrics` token.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** The Bearer token of `request`, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** True when `request` carries exactly `token` as its Bearer token; compares in constant time. */
export function hasBearer(request: FastifyRequest, token: string): boolean {
  const given = Buffer.from(bearerToken(request) ?? '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
