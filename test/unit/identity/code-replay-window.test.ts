import { describe, expect, it } from 'vitest';
import { CODE_KEPT_AFTER_EXPIRY_SECONDS } from '../../../functions/identity/ports.ts';
import { introspectToken } from '../../../functions/identity/use-cases/introspection.ts';
import { OAuthError } from '../../../functions/identity/use-cases/oauth-error.ts';
import { refreshGrant } from '../../../functions/identity/use-cases/refresh.ts';
import { hashSecret } from '../../../functions/identity/passwords.ts';
import { decodeJwt } from '../../../shared/auth/jwt.ts';
import { identityWorld, redeem, signedInCode } from '../../support/identity-world.ts';

describe('a replayed code after its 60 s, within the replay window', () => {
  it('is still recognised as a replay (after TTL could have run) and revokes what it produced', async () => {
    const w = await identityWorld();
    const { code, verifier } = await signedInCode(w);
    const tokens = await redeem(w, code, verifier);
    const issuedAt = w.now();
    // The stored item may be deleted no sooner than 10 minutes after the code's own expiry.
    expect(w.store.timeToLive(`code#${hashSecret(code)}`)).toBe(issuedAt + 60 + CODE_KEPT_AFTER_EXPIRY_SECONDS);

    w.advance(300); // well past the code's 60 s
    w.store.expireItems(w.now()); // whatever TTL may delete by now is gone
    const refused = await redeem(w, code, verifier, 'req-replay').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OAuthError);
    expect((refused as OAuthError).description).toMatch(/already used/);
    expect(w.events).toContainEqual(
      expect.objectContaining({ action: 'identity.code.replay', requestId: 'req-replay' }),
    );
    const { jti } = decodeJwt(tokens.access_token)!.claims as { jti: string };
    expect(await w.store.isDenied(jti)).toBe(true);
    const family = (await w.store.refresh(hashSecret(tokens.refresh_token!)))!.familyId;
    expect((await w.store.family(family))!.revoked).toBe(true);
  });
});

describe('a token family kept past its end', () => {
  it('no longer refreshes nor introspects as active, though TTL has not deleted it', async () => {
    const w = await identityWorld();
    const { code, verifier } = await signedInCode(w);
    const tokens = await redeem(w, code, verifier);
    w.advance(29 * 24 * 3600);
    const rotated = await refreshGrant({ refresh_token: tokens.refresh_token }, w.portal, w.deps, 'req-refresh');
    w.advance(24 * 3600 + 1); // the family's 30 days are over; the new refresh token's are not
    w.store.expireItems(w.now());
    const family = (await w.store.refresh(hashSecret(rotated.refresh_token!)))!.familyId;
    expect(await w.store.family(family)).toBeDefined();
    expect(await introspectToken({ token: rotated.refresh_token }, w.deps)).toEqual({ active: false });
    await expect(
      refreshGrant({ refresh_token: rotated.refresh_token }, w.portal, w.deps, 'req-late'),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
