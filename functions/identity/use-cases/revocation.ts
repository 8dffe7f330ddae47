import type { Client } from '../model.ts';
import { handleKey } from '../home-region.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';
import { OAuthError } from './oauth-error.ts';
import { activeSession } from './sessions.ts';

export type FamilyRevocationDeps = Pick<IdentityDeps, 'families' | 'denyList' | 'audit' | 'now'>;

/** Revokes a family: its refresh tokens stop working and its live access tokens are denied. */
export async function revokeFamily(familyId: string, deps: FamilyRevocationDeps, requestId: string): Promise<void> {
  const family = await deps.families.revokeFamily(familyId);
  if (!family) return;
  const now = nowSeconds(deps);
  // Expired access tokens are refused anyway: only the live ones need the deny-list.
  for (const access of family.accessJtis) if (access.exp > now) await deps.denyList.deny(access.jti, access.exp);
  await deps.audit({
    actor: { kind: 'system', id: 'identity' },
    action: 'identity.token.revoke-family',
    resource: `family/${familyId}`,
    outcome: 'success',
    requestId,
  });
}

export type TokenRevocationDeps = FamilyRevocationDeps & Pick<IdentityDeps, 'refreshTokens' | 'activeAccessToken'>;

/** RFC 7009: revoking an unknown or foreign token is not an error (200 either way). */
export async function revokeToken(
  form: Record<string, string | undefined>,
  client: Client,
  deps: TokenRevocationDeps,
  requestId: string,
): Promise<void> {
  const value = form.token;
  if (!value) throw new OAuthError('invalid_request', 'token is required');
  // Unless the client says it is an access token, a refresh token is looked for first.
  if (form.token_type_hint !== 'access_token' && (await revokeRefreshToken(value, client, deps, requestId))) return;
  const access = await deps.activeAccessToken(value);
  if (!access || access.client_id !== client.clientId) return;
  await deps.denyList.deny(access.jti, access.exp);
  await auditRevocation(client, `token/${access.jti}`, deps, requestId);
}

/** Revokes the refresh token's whole family; false when the value is no refresh token of this client. */
async function revokeRefreshToken(value: string, client: Client, deps: TokenRevocationDeps, requestId: string) {
  const refresh = await deps.refreshTokens.refresh(handleKey(value));
  if (!refresh || refresh.clientId !== client.clientId) return false;
  await revokeFamily(refresh.familyId, deps, requestId);
  await auditRevocation(client, `family/${refresh.familyId}`, deps, requestId);
  return true;
}

const auditRevocation = (client: Client, resource: string, deps: FamilyRevocationDeps, requestId: string) =>
  deps.audit({
    actor: { kind: 'client', id: client.clientId, clientId: client.clientId },
    action: 'identity.token.revoke',
    resource,
    outcome: 'success',
    requestId,
  });

/** Ends the SSO session and every token family it produced. */
export async function logout(
  cookie: string | undefined,
  deps: FamilyRevocationDeps & Pick<IdentityDeps, 'sessions'>,
  requestId: string,
): Promise<void> {
  const session = await activeSession(cookie, deps);
  if (!session) return;
  // The families first, so that a logout cut short by an outage is finished by its retry. Then the
  // delete, which answers the families as it found them: a code exchange running meanwhile either
  // linked its family before the delete (it is in that list, and revoked here) or is refused the link
  // and revokes its own (code-exchange.ts), so no family of the session outlives the logout.
  for (const familyId of session.families) await revokeFamily(familyId, deps, requestId);
  const ended = await deps.sessions.deleteSession(session.sessionHash);
  const linkedMeanwhile = (ended?.families ?? []).filter((familyId) => !session.families.includes(familyId));
  for (const familyId of linkedMeanwhile) await revokeFamily(familyId, deps, requestId);
  await deps.audit({
    actor: { kind: 'citizen', id: session.accountId },
    action: 'identity.logout',
    resource: `account/${session.accountId}`,
    outcome: 'success',
    requestId,
  });
}

/** Where to send the browser after logout: only to a URI registered for the client the request names. */
export async function postLogoutRedirect(
  query: Record<string, string | undefined>,
  deps: Pick<IdentityDeps, 'clients'>,
): Promise<string | undefined> {
  const next = query.post_logout_redirect_uri;
  const client = query.client_id ? await deps.clients.client(query.client_id) : undefined;
  return next && client?.redirectUris.includes(next) ? next : undefined;
}
