import type { AccessClaims } from '../../../shared/auth/verifier.ts';
import type { IdentityDeps } from './deps.ts';

/** OpenID Connect UserInfo: the account behind a verified access token; its name needs the profile scope. */
export async function userInfo(
  claims: AccessClaims,
  deps: Pick<IdentityDeps, 'accounts'>,
): Promise<Record<string, unknown>> {
  const account = await deps.accounts.account(claims.sub);
  // A client_credentials token names a client, not an account.
  if (!account) return { sub: claims.sub, client_id: claims.client_id };
  // The identifier (idNumber or creditCode) lets other capabilities find what the account holds (its licences).
  const profile = claims.scope.split(' ').includes('profile')
    ? { name: account.name, identifier: account.identifier }
    : {};
  return { sub: account.accountId, account_type: account.type, ...profile };
}
