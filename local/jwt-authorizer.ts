import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

/** The JWT authorizer of an HTTP API route, as the template declares it. */
export interface JwtAuthorizerConfig {
  issuer: string;
  audience: string[];
}

export type AuthorizerDecision =
  | { ok: true; claims: Record<string, string>; scopes: string[] }
  | { ok: false; status: 401 | 403; reason: string }
  /** The issuer's keys could not be fetched: nothing is known about the token yet. */
  | { ok: false; status: 503; reason: string };

const ALGORITHMS: Record<string, { hash: string; dsaEncoding?: 'ieee-p1363' }> = {
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
  ES384: { hash: 'sha384', dsaEncoding: 'ieee-p1363' },
  RS256: { hash: 'sha256' },
};

/** A JOSE header or claims set: a JSON object, or undefined for anything else (null, a number, not JSON). */
const decodeJson = (part: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * What API Gateway's JWT authorizer does: keys from the issuer's discovery document's
 * jwks_uri (cached, refetched for an unknown kid), signature, iss, aud or client_id, exp,
 * nbf, and the route's scopes (any one of them suffices).
 */
export class JwtAuthorizer {
  private keys = new Map<string, { fetchedAt: number; byKid: Map<string, KeyObject> }>();
  private readonly fetching = new Map<string, Promise<Map<string, KeyObject> | undefined>>();

  async authorize(
    config: JwtAuthorizerConfig,
    authorization: string | undefined,
    routeScopes: readonly string[],
  ): Promise<AuthorizerDecision> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return { ok: false, status: 401, reason: 'missing bearer token' };
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, status: 401, reason: 'malformed token' };
    const header = decodeJson(parts[0]!);
    const claims = decodeJson(parts[1]!);
    if (!header || !claims) return { ok: false, status: 401, reason: 'malformed token' };
    // The reason goes into WWW-Authenticate: it names no part of the token (a line break there is a 500).
    const alg = String(header.alg);
    const algorithm = Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg] : undefined;
    if (!algorithm) return { ok: false, status: 401, reason: 'algorithm not accepted' };
    const key = await this.key(config.issuer, String(header.kid ?? ''));
    if (key === 'unavailable') return { ok: false, status: 503, reason: "the token issuer's keys" };
    if (!key) return { ok: false, status: 401, reason: 'unknown signing key' };
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2]!, 'base64url');
    const valid = verify(
      algorithm.hash,
      signed,
      algorithm.dsaEncoding ? { key, dsaEncoding: algorithm.dsaEncoding } : key,
      signature,
    );
    if (!valid) return { ok: false, status: 401, reason: 'bad signature' };
    const now = Math.floor(Date.now() / 1000);
    if (claims.iss !== config.issuer) return { ok: false, status: 401, reason: 'wrong issuer' };
    const audiences = [claims.aud, claims.client_id]
      .flat()
      .filter((value): value is string => typeof value === 'string');
    if (!audiences.some((audience) => config.audience.includes(audience)))
      return { ok: false, status: 401, reason: 'wrong audience' };
    if (typeof claims.exp !== 'number' || claims.exp <= now) return { ok: false, status: 401, reason: 'expired' };
    if (typeof claims.nbf === 'number' && claims.nbf > now) return { ok: false, status: 401, reason: 'not yet valid' };
    const scopes = String(claims.scope ?? claims.scp ?? '')
      .split(' ')
      .filter(Boolean);
    if (routeScopes.length > 0 && !routeScopes.some((scope) => scopes.includes(scope))) {
      return { ok: false, status: 403, reason: `needs one of the scopes ${routeScopes.join(', ')}` };
    }
    const flat = Object.fromEntries(
      Object.entries(claims).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]),
    );
    return { ok: true, claims: flat, scopes };
  }

  private async key(issuer: string, kid: string): Promise<KeyObject | undefined | 'unavailable'> {
    const cached = this.keys.get(issuer);
    const fresh = cached && Date.now() - cached.fetchedAt < 300_000;
    if (fresh && cached.byKid.has(kid)) return cached.byKid.get(kid);
    // An unknown kid may be a rotated-in key: refetch, but not more than once a second.
    if (cached && Date.now() - cached.fetchedAt < 1_000) return cached.byKid.get(kid);
    // One fetch at a time per issuer: a burst of first requests (cold sandboxes of the issuer) waits for it.
    let fetching = this.fetching.get(issuer);
    if (!fetching) {
      fetching = this.fetchKeys(issuer).finally(() => this.fetching.delete(issuer));
      this.fetching.set(issuer, fetching);
    }
    const byKid = await fetching;
    return byKid ? byKid.get(kid) : (cached?.byKid.get(kid) ?? 'unavailable');
  }

  /** The issuer's keys, from its discovery document's jwks_uri; undefined when the issuer did not answer them. */
  private async fetchKeys(issuer: string): Promise<Map<string, KeyObject> | undefined> {
    try {
      const discovery = (await (
        await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
          signal: AbortSignal.timeout(10_000),
        })
      ).json()) as { jwks_uri?: string };
      if (!discovery.jwks_uri) return undefined;
      const jwks = (await (await fetch(discovery.jwks_uri, { signal: AbortSignal.timeout(10_000) })).json()) as {
        keys?: (JsonWebKey & { kid?: string })[];
      };
      const byKid = new Map<string, KeyObject>();
      for (const jwk of jwks.keys ?? []) if (jwk.kid) byKid.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
      this.keys.set(issuer, { fetchedAt: Date.now(), byKid });
      return byKid;
    } catch {
      return undefined;
    }
  }
}
