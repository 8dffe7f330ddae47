import { DependencyUnavailableError } from '../../../shared/errors.ts';
import type { Holder } from '../model.ts';
import type { HolderOf } from '../ports.ts';

/**
 * The caller's identifier from identity's UserInfo endpoint (capabilities talk over HTTP): an
 * account's `identifier` (idNumber or creditCode) and `account_type`. Kept per token id until the
 * token expires, so a holder's requests cost one UserInfo call per token.
 */
export function userInfoHolder(userinfoUrl: string, fetchImpl: typeof fetch = fetch): HolderOf {
  const cache = new Map<string, { holder: Holder | undefined; until: number }>();
  return async (token, claims) => {
    const jti = claims.jti ?? token;
    const hit = cache.get(jti);
    if (hit && hit.until > Date.now()) return hit.holder;
    let response: Response;
    try {
      response = await fetchImpl(userinfoUrl, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(2_000),
      });
    } catch (error) {
      throw new DependencyUnavailableError('identity', 5, error);
    }
    if (response.status >= 500) throw new DependencyUnavailableError('identity');
    const body = response.ok ? ((await response.json().catch(() => ({}))) as Record<string, unknown>) : {};
    const kind = body.account_type;
    const id = body.identifier;
    const holder: Holder | undefined =
      (kind === 'citizen' || kind === 'enterprise') && typeof id === 'string' && body.sub === claims.sub
        ? { kind, id }
        : undefined;
    if (cache.size > 1000) cache.clear();
    cache.set(jti, { holder, until: Math.min(Number(claims.exp ?? 0) * 1000, Date.now() + 300_000) });
    return holder;
  };
}
