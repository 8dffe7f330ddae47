import type { JsonWebKey } from 'node:crypto';
import { UnauthorizedError } from '../errors.ts';
import { decodeJwt, verifyEs256Jose } from './jwt.ts';

/** The issuer's public keys; `refresh` asks for a fresh copy (an unknown kid may be a rotated-in key). */
export type KeySource = (refresh?: boolean) => Promise<(JsonWebKey & { kid?: string })[]>;

export interface VerifierOptions {
  issuer: string;
  audience: string;
  keys: KeySource;
  /** Tells whether a token id was revoked (the jti deny-list); sensitive operations pass it. */
  isRevoked?: (jti: string) => Promise<boolean>;
  clockSkewSeconds?: number;
  now?: () => number;
}

export interface AccessClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  scope: string;
  client_id: string;
  department?: string;
  [claim: string]: unknown;
}

/**
 * The one verifier every function uses: ES256 only (alg pinned, so `none` and HS256-with-the-
 * public-key are refused), kid looked up in the issuer's keys, iss, aud, exp and nbf with at
 * most 60 s of skew, and, for sensitive operations, the deny-list of revoked token ids.
 */
export function accessTokenVerifier(options: VerifierOptions) {
  const skew = Math.min(60, options.clockSkewSeconds ?? 60);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const refuse = (why: string): never => {
    throw new UnauthorizedError(why, `Bearer error="invalid_token", error_description="${why}"`);
  };
  return async (token: string | undefined): Promise<AccessClaims> => {
    if (!token) refuse('an access token is required');
    const decoded = decodeJwt(token!) ?? refuse('the token is malformed');
    if (decoded.header.alg !== 'ES256') refuse('the token algorithm is not accepted');
    const kid = typeof decoded.header.kid === 'string' ? decoded.header.kid : refuse('the token names no key');
    const key =
      (await options.keys()).find((candidate) => candidate.kid === kid) ??
      (await options.keys(true)).find((candidate) => candidate.kid === kid);
    if (!key) refuse('the token is signed with an unknown key');
    if (!verifyEs256Jose(key!, decoded.signingInput, decoded.signature)) refuse('the token signature is not valid');
    const claims = decoded.claims as Partial<AccessClaims>;
    const t = now();
    if (claims.iss !== options.issuer) refuse('the token has another issuer');
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(options.audience)) refuse('the token is for another audience');
    if (typeof claims.exp !== 'number' || claims.exp + skew <= t) refuse('the token has expired');
    if (typeof claims.nbf === 'number' && claims.nbf - skew > t) refuse('the token is not valid yet');
    if (typeof claims.jti !== 'string' || typeof claims.sub !== 'string') refuse('the token lacks its id or subject');
    if (options.isRevoked && (await options.isRevoked(claims.jti!))) refuse('the token has been revoked');
    return claims as AccessClaims;
  };
}

export const bearerToken = (authorization: string | undefined): string | undefined =>
  /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
