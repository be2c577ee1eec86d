/**
 * Access tokens: short-lived HS256 JWTs. Verification pins the algorithm (no `none`, no RS/HS
 * confusion) and requires an expiry.
 */
import { SignJWT, jwtVerify } from 'jose';

const ALGORITHM = 'HS256';
const ISSUER = 'samokoder';

/** Signs and verifies access tokens with one secret. */
export function createTokens(secret: string, ttlSeconds: number) {
  const key = new TextEncoder().encode(secret);
  return {
    /** A token for user `userId`, valid for the configured TTL. */
    sign(userId: string): Promise<string> {
      return new SignJWT({}).setProtectedHeader({ alg: ALGORITHM }).setSubject(userId).setIssuer(ISSUER).setIssuedAt().setExpirationTime(`${ttlSeconds}s`).sign(key);
    },
    /** The user id of a valid token, or undefined for any invalid, expired or foreign token. */
    async verify(token: string): Promise<string | undefined> {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: [ALGORITHM], issuer: ISSUER, requiredClaims: ['exp', 'sub'] });
        return payload.sub;
      } catch {
        return undefined;
      }
    },
  };
}

export type Tokens = ReturnType<typeof createTokens>;
