import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../../functions/identity/passwords.ts';
import { rpInitiatedLogout, verifiedIdTokenHint } from '../../../functions/identity/use-cases/logout.ts';
import { OAuthError } from '../../../functions/identity/use-cases/oauth-error.ts';
import { signJwt } from '../../../shared/auth/jwt.ts';
import {
  DEPT,
  identityWorld,
  type IdentityWorld,
  newCode,
  PORTAL,
  PORTAL_REDIRECT,
  redeem,
  signedInCode,
  storedAccount,
  WORLD_ISSUER,
} from '../../support/identity-world.ts';

const keysOf = (w: IdentityWorld) => async () => [await w.signer.publicJwk()];
const logoutIn = (w: IdentityWorld, params: Record<string, string>, cookie: string | undefined, confirmed = false) =>
  rpInitiatedLogout(params, cookie, confirmed, keysOf(w), w.deps, 'req-logout');

/** A signed-in person with tokens (an ID token among them) for the portal. */
async function signedIn(w: IdentityWorld) {
  const issued = await signedInCode(w);
  const tokens = await redeem(w, issued.code, issued.verifier);
  return { ...issued, tokens, idToken: tokens.id_token! };
}

const sessionLives = async (w: IdentityWorld, cookie: string) => Boolean(await w.store.session(hashSecret(cookie)));
const familyRevoked = async (w: IdentityWorld, refreshToken: string) => {
  const { familyId } = (await w.store.refresh(hashSecret(refreshToken)))!;
  return (await w.store.family(familyId))!.revoked;
};

describe('RP-Initiated Logout', () => {
  it('without id_token_hint asks for confirmation and ends nothing', async () => {
    const w = await identityWorld();
    const { cookie, tokens } = await signedIn(w);
    const outcome = await logoutIn(w, { post_logout_redirect_uri: PORTAL_REDIRECT, client_id: PORTAL }, cookie);
    expect(outcome).toEqual({ kind: 'confirm', redirectTo: PORTAL_REDIRECT });
    expect(await sessionLives(w, cookie)).toBe(true);
    expect(await familyRevoked(w, tokens.refresh_token!)).toBe(false);
    expect(w.events.map((event) => event.action)).not.toContain('identity.logout');
  });

  it('with a valid id_token_hint of this session ends it, revokes its families and redirects to a registered URI', async () => {
    const w = await identityWorld();
    const { cookie, tokens, idToken, account } = await signedIn(w);
    const outcome = await logoutIn(w, { id_token_hint: idToken, post_logout_redirect_uri: PORTAL_REDIRECT }, cookie);
    expect(outcome).toEqual({ kind: 'done', redirectTo: PORTAL_REDIRECT });
    expect(await sessionLives(w, cookie)).toBe(false);
    expect(await familyRevoked(w, tokens.refresh_token!)).toBe(true);
    expect(w.events).toContainEqual(
      expect.objectContaining({ action: 'identity.logout', resource: `account/${account.accountId}` }),
    );
  });

  it('accepts an expired ID token as the hint (RP-Initiated Logout §2)', async () => {
    const w = await identityWorld();
    const { cookie, idToken } = await signedIn(w);
    w.advance(3600);
    expect(await logoutIn(w, { id_token_hint: idToken }, cookie)).toEqual({ kind: 'done' });
    expect(await sessionLives(w, cookie)).toBe(false);
  });

  it('with a valid hint, does not redirect to a URI not registered for the hint\u2019s client', async () => {
    const w = await identityWorld();
    const { cookie, idToken } = await signedIn(w);
    const outcome = await logoutIn(
      w,
      { id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example/' },
      cookie,
    );
    expect(outcome).toEqual({ kind: 'done' });
    expect(await sessionLives(w, cookie)).toBe(false);
  });

  it('on the confirmed form ends the session and redirects only to a URI registered for client_id', async () => {
    const w = await identityWorld();
    const { cookie, tokens } = await signedIn(w);
    const params = { client_id: PORTAL, post_logout_redirect_uri: PORTAL_REDIRECT };
    expect(await logoutIn(w, params, cookie, true)).toEqual({ kind: 'done', redirectTo: PORTAL_REDIRECT });
    expect(await sessionLives(w, cookie)).toBe(false);
    expect(await familyRevoked(w, tokens.refresh_token!)).toBe(true);
  });

  it('asks for confirmation when the hint is not one of this session', async () => {
    const w = await identityWorld();
    const other = await signedIn(w); // another person's (or another sign-in's) ID token
    const mine = await signedInCode(w);
    const sameAccountOtherSession = await signedInCode(w, mine.account);
    const theirs = await redeem(w, sameAccountOtherSession.code, sameAccountOtherSession.verifier);
    for (const hint of [other.idToken, theirs.id_token!]) {
      expect(await logoutIn(w, { id_token_hint: hint }, mine.cookie)).toMatchObject({ kind: 'confirm' });
    }
    expect(await sessionLives(w, mine.cookie)).toBe(true);
  });

  it('asks for confirmation for a hint whose client_id disagrees, a forged one, or an access token', async () => {
    const w = await identityWorld();
    const { cookie, idToken, tokens } = await signedIn(w);
    const [head, body] = idToken.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forgedBody = Buffer.from(JSON.stringify({ ...claims, iss: 'https://evil.example' })).toString('base64url');
    const otherIssuer = await signJwt(w.signer, { ...claims, iss: 'https://evil.example' });
    const hints: Record<string, string>[] = [
      { id_token_hint: idToken, client_id: DEPT },
      { id_token_hint: `${head}.${forgedBody}.${idToken.split('.')[2]}` },
      { id_token_hint: otherIssuer },
      { id_token_hint: tokens.access_token },
      { id_token_hint: 'not-a-jwt' },
    ];
    for (const params of hints)
      expect(await logoutIn(w, params, cookie), JSON.stringify(params)).toMatchObject({ kind: 'confirm' });
    expect(await sessionLives(w, cookie)).toBe(true);
  });

  it('without a session has nothing to end and asks nothing', async () => {
    const w = await identityWorld();
    expect(await logoutIn(w, { client_id: PORTAL, post_logout_redirect_uri: PORTAL_REDIRECT }, undefined)).toEqual({
      kind: 'done',
      redirectTo: PORTAL_REDIRECT,
    });
    expect(await logoutIn(w, {}, 'no-such-session')).toEqual({ kind: 'done' });
  });

  it('makes a code issued before the logout fail to redeem after it', async () => {
    const w = await identityWorld();
    const { cookie, session, idToken } = await signedIn(w);
    const pending = await newCode(w, session);
    await logoutIn(w, { id_token_hint: idToken }, cookie);
    const refused = await redeem(w, pending.code, pending.verifier).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OAuthError);
    expect(refused).toMatchObject({
      error: 'invalid_grant',
      description: 'the sign-in that issued the code has ended',
    });
  });

  it('verifiedIdTokenHint reads sub, client and sid of an ID token this issuer signed', async () => {
    const w = await identityWorld();
    const account = await storedAccount(w);
    const token = await signJwt(w.signer, {
      iss: WORLD_ISSUER,
      sub: account.accountId,
      aud: PORTAL,
      sid: 's-1',
      exp: 1,
    });
    expect(await verifiedIdTokenHint(token, keysOf(w), w.deps)).toEqual({
      sub: account.accountId,
      clientId: PORTAL,
      sid: 's-1',
    });
    const noKid = await verifiedIdTokenHint(token, async () => [], w.deps);
    expect(noKid).toBeUndefined();
  });
});
