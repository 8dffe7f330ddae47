import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../../../cli/identity/clients.ts';
import { REFRESH_GRACE_SECONDS } from '../../../functions/identity/config.ts';
import type { Client } from '../../../functions/identity/model.ts';
import { hashPassword, hashSecret } from '../../../functions/identity/passwords.ts';
import { identityPorts } from '../../../functions/identity/ports.ts';
import {
  REGISTRATIONS_PER_MINUTE,
  registerAccount,
  type NewAccount,
} from '../../../functions/identity/use-cases/accounts.ts';
import {
  issueCode,
  UntrustedRedirectError,
  validateAuthorization,
} from '../../../functions/identity/use-cases/authorize.ts';
import { authenticateClient } from '../../../functions/identity/use-cases/client-authentication.ts';
import { clientCredentialsGrant } from '../../../functions/identity/use-cases/client-credentials.ts';
import { exchangeCode } from '../../../functions/identity/use-cases/code-exchange.ts';
import type { IdentityDeps } from '../../../functions/identity/use-cases/deps.ts';
import { introspectToken } from '../../../functions/identity/use-cases/introspection.ts';
import {
  authenticate,
  LOCK_SECONDS,
  LOGIN_WINDOW_SECONDS,
  LoginFailedError,
} from '../../../functions/identity/use-cases/login.ts';
import { OAuthError } from '../../../functions/identity/use-cases/oauth-error.ts';
import { refreshGrant } from '../../../functions/identity/use-cases/refresh.ts';
import { revokeFamily } from '../../../functions/identity/use-cases/revocation.ts';
import { startSession } from '../../../functions/identity/use-cases/sessions.ts';
import {
  ACCESS_TOKEN_SECONDS,
  REFRESH_TOKEN_SECONDS,
  type TokenResponse,
} from '../../../functions/identity/use-cases/token-minting.ts';
import type { AuditEvent, AuditInput } from '../../../shared/audit.ts';
import { decodeJwt } from '../../../shared/auth/jwt.ts';
import { accessTokenVerifier } from '../../../shared/auth/verifier.ts';
import { fileSigner } from '../../../shared/crypto/signer.ts';
import { ConflictError, RateLimitedError, UnauthorizedError, ValidationError } from '../../../shared/errors.ts';
import { ensureSigningKey } from '../../../local/keys.ts';
import { MemoryIdentityStore } from '../../support/memory-identity-store.ts';

// Every test hashes at least one password with scrypt (N=2^17): allow for a slow machine.
const SLOW = 60_000;

const ISSUER = 'https://id.example.gov.cn';
const AUDIENCE = 'dgov-api';
const START = 1_767_225_605; // 2026-01-01T00:00:05Z: 5 s into a rate-limit minute

const ID_NUMBER = '11010519491231002X';
const CREDIT_CODE = '91350100M000100Y43';
const PASSWORD = 'Tai-Shan-Sunrise-2024';
const SOURCE_IP = '203.0.113.7';

const PORTAL = 'portal-app';
const PORTAL_REDIRECT = 'https://portal.example.gov.cn/callback';
const DEPT = 'dept-system';
const DEPT_REDIRECT = 'https://dept.example.gov.cn/oidc/cb';

const keyDir = mkdtempSync(join(tmpdir(), 'dgov-identity-'));
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));
const signer = fileSigner(ensureSigningKey(join(keyDir, 'keys', 'token-signing.pem')));

interface World {
  store: MemoryIdentityStore;
  deps: IdentityDeps;
  events: AuditInput[];
  advance(seconds: number): void;
  now(): number;
  portal: Client;
  dept: Client;
  deptSecret: string;
}

async function world(): Promise<World> {
  const store = new MemoryIdentityStore();
  const events: AuditInput[] = [];
  let clock = START;
  const verifyAccess = accessTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: async () => [await signer.publicJwk()],
    isRevoked: (jti) => store.isDenied(jti),
    now: () => clock,
  });
  const deps: IdentityDeps = {
    ...identityPorts(store),
    activeAccessToken: (token) => verifyAccess(token).catch(() => undefined),
    signer,
    issuer: ISSUER,
    audience: AUDIENCE,
    loginAttemptsPerMinute: 20,
    // The use cases, not the cost: scrypt at N=2^10 here (test/unit/identity/passwords.test.ts checks the real cost).
    hashPassword: (password) => hashPassword(password, { N: 2 ** 10, r: 8, p: 1 }),
    passwordCost: { N: 2 ** 10, r: 8, p: 1 },
    now: () => clock,
    audit: async (input): Promise<AuditEvent> => {
      events.push(input);
      return {
        ...input,
        eventId: input.eventId ?? randomUUID(),
        time: input.time ?? new Date(clock * 1000).toISOString(),
        region: 'cn-test-1',
      };
    },
  };
  await createClient(
    { clientId: PORTAL, kind: 'public', scopes: ['licences:read'], redirectUris: [PORTAL_REDIRECT] },
    store,
  );
  const created = await createClient(
    {
      clientId: DEPT,
      kind: 'confidential',
      scopes: ['licences:read', 'hotline:write'],
      redirectUris: [DEPT_REDIRECT],
      department: 'dept-health',
    },
    store,
  );
  return {
    store,
    deps,
    events,
    advance: (seconds) => (clock += seconds),
    now: () => clock,
    portal: (await store.client(PORTAL))!,
    dept: (await store.client(DEPT))!,
    deptSecret: created.client_secret!,
  };
}

const citizen = (overrides: Partial<Extract<NewAccount, { type: 'citizen' }>> = {}): NewAccount => ({
  type: 'citizen',
  idNumber: ID_NUMBER,
  name: '张三',
  phone: '13812345678',
  password: PASSWORD,
  ...overrides,
});

const CLIENT_AUTH = { endpoint: 'token', requestId: 'req-client' } as const;
const context = (sourceIp = SOURCE_IP) => ({ sourceIp, requestId: `req-${randomUUID()}` });

/** Awaits a promise that must fail and returns what it failed with. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure, got a result');
    },
    (error: unknown) => error,
  );
}

async function expectOAuthError(
  promise: Promise<unknown>,
  code: OAuthError['error'],
  status = 400,
): Promise<OAuthError> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(OAuthError);
  expect((error as OAuthError).error).toBe(code);
  expect((error as OAuthError).status).toBe(status);
  return error as OAuthError;
}

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

const authorizeQuery = (challenge: string, overrides: Record<string, string | undefined> = {}) => ({
  client_id: PORTAL,
  redirect_uri: PORTAL_REDIRECT,
  response_type: 'code',
  scope: 'openid profile licences:read',
  state: 'state-123',
  nonce: 'nonce-456',
  code_challenge: challenge,
  code_challenge_method: 'S256',
  ...overrides,
});

/** Registers a citizen, logs in, opens an SSO session and gets a code for the portal. */
async function codeFor(w: World, scope = 'openid profile licences:read') {
  const accountId =
    (await w.store.accountByIdentifier(ID_NUMBER))?.accountId ??
    (await registerAccount(citizen(), w.deps, { requestId: 'req-register' }));
  const account = await authenticate(ID_NUMBER, PASSWORD, context(), w.deps);
  const { session } = await startSession(account, w.deps);
  const { verifier, challenge } = pkce();
  const request = await validateAuthorization(authorizeQuery(challenge, { scope }), w.deps);
  const code = await issueCode(request, session, w.deps);
  return { accountId, code, verifier, session };
}

async function tokensFor(w: World, scope?: string) {
  const issued = await codeFor(w, scope);
  const tokens = await exchangeCode(
    {
      grant_type: 'authorization_code',
      code: issued.code,
      redirect_uri: PORTAL_REDIRECT,
      code_verifier: issued.verifier,
    },
    w.portal,
    w.deps,
    'req-token',
  );
  return { ...issued, tokens };
}

const verifierFor = (w: World) =>
  accessTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: async () => [await signer.publicJwk()],
    isRevoked: (jti) => w.store.isDenied(jti),
    now: w.now,
  });

const claimsOf = (token: string) => decodeJwt(token)!.claims;
const familyOf = async (w: World, tokens: TokenResponse) =>
  (await w.store.refresh(hashSecret(tokens.refresh_token!)))!.familyId;
const actions = (w: World) => w.events.map((event) => `${event.action}:${event.outcome}`);

describe('identity domain', () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });

  describe('registerAccount', () => {
    it('creates a citizen account findable by its identifier, with a hashed password, and audits it', {
      timeout: SLOW,
    }, async () => {
      // The production hasher here (the others take a cheap one): registration stores the OWASP cost.
      const accountId = await registerAccount(
        citizen(),
        { ...w.deps, hashPassword: undefined, passwordCost: undefined },
        { requestId: 'req-1' },
      );
      const account = await w.store.accountByIdentifier(ID_NUMBER);
      expect(account).toMatchObject({
        accountId,
        type: 'citizen',
        identifier: ID_NUMBER,
        phone: '13812345678',
        createdAt: new Date(START * 1000).toISOString(),
      });
      expect(account!.passwordHash.startsWith('scrypt$131072$8$1$')).toBe(true);
      expect(account!.passwordHash).not.toContain(PASSWORD);
      expect(w.events).toContainEqual(
        expect.objectContaining({
          action: 'identity.account.create',
          resource: `account/${accountId}`,
          outcome: 'success',
          requestId: 'req-1',
        }),
      );
    });

    it('stores the identifier upper-cased and answers 409 ConflictError for a duplicate, whatever its case', {
      timeout: SLOW,
    }, async () => {
      await registerAccount(citizen(), w.deps, { requestId: 'req-1' });
      for (const idNumber of [ID_NUMBER, ID_NUMBER.toLowerCase()]) {
        const error = await failure(
          registerAccount(citizen({ idNumber, password: 'Another-Password-99' }), w.deps, { requestId: 'req-2' }),
        );
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as ConflictError).status).toBe(409);
      }
    });

    it('refuses a password that contains the identifier, case-insensitively', { timeout: SLOW }, async () => {
      const enterprise: NewAccount = {
        type: 'enterprise',
        creditCode: CREDIT_CODE,
        name: '某某有限公司',
        operatorIdNumber: ID_NUMBER,
        password: `my-${CREDIT_CODE.toLowerCase()}!`,
      };
      for (const [input, label] of [
        [citizen({ password: `pw-${ID_NUMBER.toLowerCase()}-pw` }), 'lower-case x inside'],
        [citizen({ password: ID_NUMBER }), 'equal'],
        [citizen({ idNumber: ID_NUMBER.toLowerCase(), password: `${ID_NUMBER}!!` }), 'identifier given in lower case'],
        [enterprise, 'enterprise credit code inside'],
      ] as const) {
        const error = await failure(registerAccount(input, w.deps, { requestId: 'req-1' }));
        expect(error, label).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).status).toBe(400);
        expect((error as ValidationError).errors).toEqual([expect.objectContaining({ path: 'body.password' })]);
      }
      expect(await w.store.accountByIdentifier(ID_NUMBER)).toBeUndefined();
      expect(await w.store.accountByIdentifier(CREDIT_CODE)).toBeUndefined();
    });

    it('creates an enterprise account under its credit code', { timeout: SLOW }, async () => {
      const accountId = await registerAccount(
        {
          type: 'enterprise',
          creditCode: CREDIT_CODE.toLowerCase(),
          name: '某某有限公司',
          operatorIdNumber: ID_NUMBER,
          password: PASSWORD,
        },
        w.deps,
        { requestId: 'req-1' },
      );
      expect(await w.store.accountByIdentifier(CREDIT_CODE)).toMatchObject({
        accountId,
        type: 'enterprise',
        operatorIdNumber: ID_NUMBER,
      });
    });
    const limit = `${REGISTRATIONS_PER_MINUTE} registrations a minute`;
    it(`answers RateLimitedError (429, retry-after 60) after ${limit} from one source address`, async () => {
      const flood = { requestId: 'req-flood', sourceIp: SOURCE_IP };
      // Refused registrations count too: the limit is checked before anything else.
      const refused = () => registerAccount(citizen({ password: ID_NUMBER }), w.deps, flood);
      for (let i = 0; i < REGISTRATIONS_PER_MINUTE; i += 1) {
        expect(await failure(refused()), `registration ${i + 1}`).toBeInstanceOf(ValidationError);
      }
      const limited = await failure(refused());
      expect(limited).toBeInstanceOf(RateLimitedError);
      expect((limited as RateLimitedError).status).toBe(429);
      expect((limited as RateLimitedError).headers['retry-after']).toBe('60');
      // Another address is not limited; the next minute the first one may register again.
      const otherAddress = { requestId: 'req-other', sourceIp: '198.51.100.9' };
      const fromOtherAddress = registerAccount(citizen({ password: ID_NUMBER }), w.deps, otherAddress);
      expect(await failure(fromOtherAddress)).toBeInstanceOf(ValidationError);
      w.advance(60);
      expect(await failure(refused())).toBeInstanceOf(ValidationError);
      expect(w.events).toEqual([]);
    });
  });

  describe('authenticate', () => {
    let accountId: string;
    beforeEach(async () => {
      accountId = await registerAccount(citizen(), w.deps, { requestId: 'req-register' });
      w.events.length = 0;
    });

    it('returns the account for the right password (identifier trimmed, any case) and audits the success', {
      timeout: SLOW,
    }, async () => {
      const account = await authenticate(`  ${ID_NUMBER.toLowerCase()} `, PASSWORD, context(), w.deps);
      expect(account.accountId).toBe(accountId);
      expect(w.events).toEqual([
        expect.objectContaining({
          action: 'identity.login',
          outcome: 'success',
          resource: `account/${accountId}`,
          sourceIp: SOURCE_IP,
          actor: { kind: 'citizen', id: accountId },
        }),
      ]);
    });

    it('answers LoginFailedError for a wrong password and for an unknown account, with the same message, and audits both as denied', {
      timeout: SLOW,
    }, async () => {
      const wrong = await failure(authenticate(ID_NUMBER, 'not-the-password', context(), w.deps));
      const unknown = await failure(authenticate('440305199001011234', PASSWORD, context(), w.deps));
      expect(wrong).toBeInstanceOf(LoginFailedError);
      expect(unknown).toBeInstanceOf(LoginFailedError);
      expect((unknown as Error).message).toBe((wrong as Error).message);
      expect((wrong as LoginFailedError).reason).toBe('bad-credentials');
      expect((unknown as LoginFailedError).reason).toBe('bad-credentials');
      expect(w.events).toEqual([
        expect.objectContaining({ action: 'identity.login', outcome: 'denied', resource: `account/${accountId}` }),
        expect.objectContaining({
          action: 'identity.login',
          outcome: 'denied',
          resource: 'account/unknown',
          actor: { kind: 'anonymous', id: 'unknown' },
        }),
      ]);
    });

    it('locks the account after 5 failures within the window: even the right password is then refused', {
      timeout: SLOW,
    }, async () => {
      for (let i = 0; i < 5; i += 1) {
        w.advance(30);
        expect(await failure(authenticate(ID_NUMBER, `wrong-${i}`, context(), w.deps))).toMatchObject({
          reason: 'bad-credentials',
        });
      }
      w.advance(1);
      const locked = await failure(authenticate(ID_NUMBER, PASSWORD, context(), w.deps));
      expect(locked).toBeInstanceOf(LoginFailedError);
      expect((locked as LoginFailedError).reason).toBe('locked');
      expect((locked as Error).message).toBe(new LoginFailedError('bad-credentials').message);
      expect(actions(w).at(-1)).toBe('identity.login:denied');
    });

    it('lets the lock run out after its time', { timeout: SLOW }, async () => {
      for (let i = 0; i < 5; i += 1) await failure(authenticate(ID_NUMBER, `wrong-${i}`, context(), w.deps));
      w.advance(LOCK_SECONDS + 1);
      expect((await authenticate(ID_NUMBER, PASSWORD, context(), w.deps)).accountId).toBe(accountId);
    });

    // Failures are counted in fixed windows: those of the previous window count too, so 5 failures
    // up to two window lengths apart may lock, and failures older than that are forgotten.
    it('locks for 5 failures when the 5th comes a window length after the first 4', { timeout: SLOW }, async () => {
      for (let i = 0; i < 4; i += 1) await failure(authenticate(ID_NUMBER, `wrong-${i}`, context(), w.deps));
      w.advance(LOGIN_WINDOW_SECONDS);
      const fifth = await failure(authenticate(ID_NUMBER, 'wrong-4', context(), w.deps));
      expect(fifth).toMatchObject({ reason: 'bad-credentials' });
      expect(await failure(authenticate(ID_NUMBER, PASSWORD, context(), w.deps))).toMatchObject({ reason: 'locked' });
    });

    it('does not lock for 5 failures spread over more than two window lengths', { timeout: SLOW }, async () => {
      for (let i = 0; i < 4; i += 1) await failure(authenticate(ID_NUMBER, `wrong-${i}`, context(), w.deps));
      w.advance(2 * LOGIN_WINDOW_SECONDS + 1);
      await failure(authenticate(ID_NUMBER, 'wrong-4', context(), w.deps));
      expect((await authenticate(ID_NUMBER, PASSWORD, context(), w.deps)).accountId).toBe(accountId);
    });

    it('forgets earlier failures after a successful login', { timeout: SLOW }, async () => {
      for (let i = 0; i < 4; i += 1) await failure(authenticate(ID_NUMBER, `wrong-${i}`, context(), w.deps));
      await authenticate(ID_NUMBER, PASSWORD, context(), w.deps);
      await failure(authenticate(ID_NUMBER, 'wrong-again', context(), w.deps));
      expect((await authenticate(ID_NUMBER, PASSWORD, context(), w.deps)).accountId).toBe(accountId);
    });

    it('answers RateLimitedError (429, retry-after at most 60) after 20 attempts a minute from one source address', {
      timeout: SLOW,
    }, async () => {
      for (let i = 0; i < 20; i += 1) {
        expect(
          await failure(authenticate('440305199001011234', `guess-${i}`, context(), w.deps)),
          `attempt ${i + 1}`,
        ).toBeInstanceOf(LoginFailedError);
      }
      const limited = await failure(authenticate(ID_NUMBER, PASSWORD, context(), w.deps));
      expect(limited).toBeInstanceOf(RateLimitedError);
      expect((limited as RateLimitedError).status).toBe(429);
      const retryAfter = Number((limited as RateLimitedError).headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // Another address is not limited; the next minute the first one may try again.
      expect((await authenticate(ID_NUMBER, PASSWORD, context('198.51.100.9'), w.deps)).accountId).toBe(accountId);
      w.advance(60);
      expect((await authenticate(ID_NUMBER, PASSWORD, context(), w.deps)).accountId).toBe(accountId);
    });
  });

  describe('validateAuthorization', () => {
    const { challenge } = pkce();

    it('returns the request for a registered client and exact redirect_uri', async () => {
      const request = await validateAuthorization(authorizeQuery(challenge), w.deps);
      expect(request).toMatchObject({
        redirectUri: PORTAL_REDIRECT,
        state: 'state-123',
        nonce: 'nonce-456',
        scope: 'openid profile licences:read',
        codeChallenge: challenge,
      });
      expect(request.client.clientId).toBe(PORTAL);
    });

    it('throws UntrustedRedirectError (never a redirect) for an unknown or missing client', async () => {
      for (const client_id of ['no-such-client', undefined]) {
        const error = await failure(validateAuthorization(authorizeQuery(challenge, { client_id }), w.deps));
        expect(error).toBeInstanceOf(UntrustedRedirectError);
        expect(error).not.toHaveProperty('redirect');
      }
    });

    it('throws UntrustedRedirectError for a redirect_uri that is not exactly registered', async () => {
      for (const redirect_uri of [
        `${PORTAL_REDIRECT}/`,
        `${PORTAL_REDIRECT}?next=https://evil.example.com`,
        `${PORTAL_REDIRECT}#x`,
        PORTAL_REDIRECT.replace('https:', 'http:'),
        PORTAL_REDIRECT.toUpperCase(),
        'https://portal.example.gov.cn.evil.example.com/callback',
        DEPT_REDIRECT,
        undefined,
      ]) {
        const error = await failure(validateAuthorization(authorizeQuery(challenge, { redirect_uri }), w.deps));
        expect(error, String(redirect_uri)).toBeInstanceOf(UntrustedRedirectError);
      }
    });

    it('requires PKCE S256: a missing, plain or malformed challenge is invalid_request, to be sent to the redirect URI', async () => {
      for (const overrides of [
        { code_challenge: undefined, code_challenge_method: undefined },
        { code_challenge_method: undefined },
        { code_challenge_method: 'plain' },
        { code_challenge_method: 's256' },
        { code_challenge: challenge.slice(0, 42) },
        { code_challenge: `${challenge}A` },
        { code_challenge: `${challenge.slice(0, 42)}=` },
      ]) {
        const error = await expectOAuthError(
          validateAuthorization(authorizeQuery(challenge, overrides), w.deps),
          'invalid_request',
        );
        expect(
          (error as OAuthError & { redirect?: { redirectUri: string; state?: string } }).redirect,
          JSON.stringify(overrides),
        ).toMatchObject({ redirectUri: PORTAL_REDIRECT, state: 'state-123' });
      }
    });

    it('answers unsupported_response_type and invalid_scope with a redirect as well', async () => {
      const implicit = await expectOAuthError(
        validateAuthorization(authorizeQuery(challenge, { response_type: 'token' }), w.deps),
        'unsupported_response_type',
      );
      expect(implicit).toHaveProperty('redirect.redirectUri', PORTAL_REDIRECT);
      for (const scope of ['profile', 'openid hotline:write', 'openid admin']) {
        const error = await expectOAuthError(
          validateAuthorization(authorizeQuery(challenge, { scope }), w.deps),
          'invalid_scope',
        );
        expect(error).toHaveProperty('redirect.redirectUri', PORTAL_REDIRECT);
      }
    });
  });

  describe('exchangeCode', () => {
    it('issues access, refresh and ID tokens for the code and verifier, and audits the issue', {
      timeout: SLOW,
    }, async () => {
      const { tokens, accountId, session } = await tokensFor(w);
      expect(tokens).toMatchObject({
        token_type: 'Bearer',
        expires_in: ACCESS_TOKEN_SECONDS,
        scope: 'openid profile licences:read',
      });
      expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const access = await verifierFor(w)(tokens.access_token);
      expect(access).toMatchObject({
        iss: ISSUER,
        aud: AUDIENCE,
        sub: accountId,
        scope: 'openid profile licences:read',
        client_id: PORTAL,
        exp: START + ACCESS_TOKEN_SECONDS,
      });
      expect(decodeJwt(tokens.access_token)!.header.typ).toBe('at+jwt');

      const id = claimsOf(tokens.id_token!);
      expect(id).toMatchObject({
        iss: ISSUER,
        aud: PORTAL,
        sub: accountId,
        nonce: 'nonce-456',
        auth_time: session.authTime,
        account_type: 'citizen',
      });
      expect(id.at_hash).toBe(
        createHash('sha256').update(tokens.access_token).digest().subarray(0, 16).toString('base64url'),
      );

      const familyId = await familyOf(w, tokens);
      expect(await w.store.family(familyId)).toMatchObject({
        revoked: false,
        clientId: PORTAL,
        sub: accountId,
        accessJtis: [{ jti: access.jti }],
      });
      expect((await w.store.session(session.sessionHash))!.families).toEqual([familyId]);
      expect(w.events).toContainEqual(
        expect.objectContaining({
          action: 'identity.token.issue',
          outcome: 'success',
          resource: `client/${PORTAL}`,
          actor: { kind: 'citizen', id: accountId, clientId: PORTAL },
        }),
      );
    });

    it('answers invalid_grant for a wrong code_verifier', { timeout: SLOW }, async () => {
      const { code } = await codeFor(w);
      const other = pkce();
      await expectOAuthError(
        exchangeCode({ code, redirect_uri: PORTAL_REDIRECT, code_verifier: other.verifier }, w.portal, w.deps, 'req'),
        'invalid_grant',
      );
    });

    it('answers invalid_grant for an expired code (61 s later)', { timeout: SLOW }, async () => {
      const { code, verifier } = await codeFor(w);
      w.advance(61);
      await expectOAuthError(
        exchangeCode({ code, redirect_uri: PORTAL_REDIRECT, code_verifier: verifier }, w.portal, w.deps, 'req'),
        'invalid_grant',
      );
    });

    it('answers invalid_grant for an unknown code, another redirect_uri or another client', {
      timeout: SLOW,
    }, async () => {
      const { verifier } = await codeFor(w);
      await expectOAuthError(
        exchangeCode(
          { code: 'no-such-code', redirect_uri: PORTAL_REDIRECT, code_verifier: verifier },
          w.portal,
          w.deps,
          'req',
        ),
        'invalid_grant',
      );
      const second = await codeFor(w);
      await expectOAuthError(
        exchangeCode(
          { code: second.code, redirect_uri: `${PORTAL_REDIRECT}/`, code_verifier: second.verifier },
          w.portal,
          w.deps,
          'req',
        ),
        'invalid_grant',
      );
      const third = await codeFor(w);
      await expectOAuthError(
        exchangeCode(
          { code: third.code, redirect_uri: PORTAL_REDIRECT, code_verifier: third.verifier },
          w.dept,
          w.deps,
          'req',
        ),
        'invalid_grant',
      );
    });

    it('answers invalid_request when code, redirect_uri or code_verifier is missing', async () => {
      await expectOAuthError(
        exchangeCode({ redirect_uri: PORTAL_REDIRECT, code_verifier: 'x'.repeat(43) }, w.portal, w.deps, 'req'),
        'invalid_request',
      );
      await expectOAuthError(
        exchangeCode({ code: 'c', code_verifier: 'x'.repeat(43) }, w.portal, w.deps, 'req'),
        'invalid_request',
      );
      await expectOAuthError(
        exchangeCode({ code: 'c', redirect_uri: PORTAL_REDIRECT }, w.portal, w.deps, 'req'),
        'invalid_request',
      );
    });

    it('on a replayed code answers invalid_grant, revokes the family and denies the first access token', {
      timeout: SLOW,
    }, async () => {
      const { tokens, code, verifier } = await tokensFor(w);
      const { jti } = claimsOf(tokens.access_token) as { jti: string };
      const familyId = await familyOf(w, tokens);
      expect(await w.store.isDenied(jti)).toBe(false);

      w.advance(11); // past the 10 s retry grace (test/unit/identity/code-retry-grace.test.ts covers within it)
      await expectOAuthError(
        exchangeCode({ code, redirect_uri: PORTAL_REDIRECT, code_verifier: verifier }, w.portal, w.deps, 'req-replay'),
        'invalid_grant',
      );

      expect((await w.store.family(familyId))!.revoked).toBe(true);
      expect(await w.store.isDenied(jti)).toBe(true);
      const refused = await failure(verifierFor(w)(tokens.access_token));
      expect(refused).toBeInstanceOf(UnauthorizedError);
      await expectOAuthError(
        refreshGrant({ refresh_token: tokens.refresh_token }, w.portal, w.deps, 'req'),
        'invalid_grant',
      );
      expect(w.events).toContainEqual(
        expect.objectContaining({ action: 'identity.code.replay', outcome: 'denied', requestId: 'req-replay' }),
      );
      expect(w.events).toContainEqual(
        expect.objectContaining({ action: 'identity.token.revoke-family', resource: `family/${familyId}` }),
      );
    });
  });

  describe('refreshGrant', () => {
    it('rotates: a new refresh token and a new valid access token in the same family, audited', {
      timeout: SLOW,
    }, async () => {
      const { tokens, accountId } = await tokensFor(w);
      const familyId = await familyOf(w, tokens);
      w.advance(600);
      const refreshed = await refreshGrant(
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
        w.portal,
        w.deps,
        'req-refresh',
      );
      expect(refreshed.refresh_token).toBeDefined();
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      expect(refreshed.scope).toBe(tokens.scope);
      const access = await verifierFor(w)(refreshed.access_token);
      expect(access).toMatchObject({
        sub: accountId,
        client_id: PORTAL,
        scope: tokens.scope,
        exp: w.now() + ACCESS_TOKEN_SECONDS,
      });
      expect(access.jti).not.toBe(claimsOf(tokens.access_token).jti);
      expect(await familyOf(w, refreshed)).toBe(familyId);
      expect((await w.store.family(familyId))!.accessJtis.map((entry) => entry.jti)).toContain(access.jti);
      expect(w.events).toContainEqual(
        expect.objectContaining({
          action: 'identity.token.refresh',
          outcome: 'success',
          resource: `family/${familyId}`,
          requestId: 'req-refresh',
        }),
      );

      const again = await refreshGrant({ refresh_token: refreshed.refresh_token }, w.portal, w.deps, 'req-refresh-2');
      expect(again.refresh_token).not.toBe(refreshed.refresh_token);
    });

    it('on reuse of a rotated-out refresh token revokes the whole family and audits the detection', {
      timeout: SLOW,
    }, async () => {
      const { tokens } = await tokensFor(w);
      const familyId = await familyOf(w, tokens);
      const refreshed = await refreshGrant({ refresh_token: tokens.refresh_token }, w.portal, w.deps, 'req-1');
      w.advance(REFRESH_GRACE_SECONDS + 1); // past the grace a retry would have

      await expectOAuthError(
        refreshGrant({ refresh_token: tokens.refresh_token }, w.portal, w.deps, 'req-reuse'),
        'invalid_grant',
      );

      expect((await w.store.family(familyId))!.revoked).toBe(true);
      // The legitimate-looking successor dies with its family, and so do the family's access tokens.
      await expectOAuthError(
        refreshGrant({ refresh_token: refreshed.refresh_token }, w.portal, w.deps, 'req-2'),
        'invalid_grant',
      );
      for (const token of [tokens.access_token, refreshed.access_token]) {
        expect(await w.store.isDenied(claimsOf(token).jti as string)).toBe(true);
        expect(await failure(verifierFor(w)(token))).toBeInstanceOf(UnauthorizedError);
      }
      expect(w.events).toContainEqual(
        expect.objectContaining({
          action: 'identity.token.reuse-detected',
          outcome: 'denied',
          resource: `family/${familyId}`,
          requestId: 'req-reuse',
        }),
      );
    });

    it('cannot widen the scope (invalid_scope) but may narrow it', { timeout: SLOW }, async () => {
      const { tokens } = await tokensFor(w, 'openid profile');
      await expectOAuthError(
        refreshGrant(
          { refresh_token: tokens.refresh_token, scope: 'openid profile licences:read' },
          w.portal,
          w.deps,
          'req',
        ),
        'invalid_scope',
      );

      const other = await tokensFor(w, 'openid profile');
      const narrowed = await refreshGrant(
        { refresh_token: other.tokens.refresh_token, scope: 'openid' },
        w.portal,
        w.deps,
        'req',
      );
      expect(narrowed.scope).toBe('openid');
      expect((await verifierFor(w)(narrowed.access_token)).scope).toBe('openid');
      // Narrowing one access token does not shrink the grant: the next refresh may ask for the original scope.
      const restored = await refreshGrant(
        { refresh_token: narrowed.refresh_token, scope: 'openid profile' },
        w.portal,
        w.deps,
        'req',
      );
      expect(restored.scope).toBe('openid profile');
    });

    // RFC 6749 §6: the old refresh token is retired only once a new one is issued, so a refused
    // request must leave it usable and its retry must not look like reuse.
    it('a refused scope widening leaves the refresh token usable (the retry is not treated as reuse)', {
      timeout: SLOW,
    }, async () => {
      const { tokens } = await tokensFor(w, 'openid profile');
      const familyId = await familyOf(w, tokens);
      await expectOAuthError(
        refreshGrant(
          { refresh_token: tokens.refresh_token, scope: 'openid profile licences:read' },
          w.portal,
          w.deps,
          'req-widen',
        ),
        'invalid_scope',
      );
      const retried = await refreshGrant({ refresh_token: tokens.refresh_token }, w.portal, w.deps, 'req-retry').catch(
        (error: unknown) => ({ refused: (error as Error).message }),
      );
      expect(retried).toMatchObject({ token_type: 'Bearer', scope: 'openid profile' });
      expect((await w.store.family(familyId))!.revoked).toBe(false);
    });

    it('answers invalid_grant for an unknown refresh token, one of another client, and invalid_request when none is given', {
      timeout: SLOW,
    }, async () => {
      await expectOAuthError(
        refreshGrant({ refresh_token: 'no-such-token' }, w.portal, w.deps, 'req'),
        'invalid_grant',
      );
      await expectOAuthError(refreshGrant({}, w.portal, w.deps, 'req'), 'invalid_request');
      const { tokens } = await tokensFor(w);
      await expectOAuthError(
        refreshGrant({ refresh_token: tokens.refresh_token }, w.dept, w.deps, 'req'),
        'invalid_grant',
      );
    });
  });

  describe('clientCredentialsGrant', () => {
    it('refuses a public client with unauthorized_client', async () => {
      await expectOAuthError(
        clientCredentialsGrant({ scope: 'licences:read' }, w.portal, w.deps, 'req'),
        'unauthorized_client',
      );
    });

    it('issues a client token (no refresh, no ID token) to a confidential client within its scopes, audited', async () => {
      const response = await clientCredentialsGrant({ scope: 'licences:read' }, w.dept, w.deps, 'req-cc');
      expect(response).toMatchObject({
        token_type: 'Bearer',
        scope: 'licences:read',
        expires_in: ACCESS_TOKEN_SECONDS,
      });
      expect(response.refresh_token).toBeUndefined();
      expect(response.id_token).toBeUndefined();
      expect(await verifierFor(w)(response.access_token)).toMatchObject({
        sub: DEPT,
        client_id: DEPT,
        department: 'dept-health',
        scope: 'licences:read',
      });
      expect(w.events).toContainEqual(
        expect.objectContaining({
          action: 'identity.token.issue',
          outcome: 'success',
          actor: { kind: 'client', id: DEPT, clientId: DEPT },
        }),
      );
      expect((await clientCredentialsGrant({}, w.dept, w.deps, 'req')).scope).toBe('licences:read hotline:write');
    });

    it('refuses scopes the client was not given', async () => {
      await expectOAuthError(
        clientCredentialsGrant({ scope: 'licences:read admin' }, w.dept, w.deps, 'req'),
        'invalid_scope',
      );
    });
  });

  describe('introspectToken', () => {
    it('answers invalid_request when no token is given', async () => {
      await expectOAuthError(introspectToken({}, w.deps), 'invalid_request');
    });

    it('describes an active access token by its claims', { timeout: SLOW }, async () => {
      const { tokens, accountId } = await tokensFor(w);
      const { jti } = claimsOf(tokens.access_token) as { jti: string };
      expect(await introspectToken({ token: tokens.access_token }, w.deps)).toEqual({
        active: true,
        token_type: 'Bearer',
        iss: ISSUER,
        sub: accountId,
        aud: AUDIENCE,
        exp: START + ACCESS_TOKEN_SECONDS,
        iat: START,
        jti,
        scope: 'openid profile licences:read',
        client_id: PORTAL,
      });
      const department = await clientCredentialsGrant({}, w.dept, w.deps, 'req');
      const described = await introspectToken({ token: department.access_token }, w.deps);
      expect(described).toMatchObject({ active: true, department: 'dept-health' });
    });

    it('describes an active refresh token, unless the hint says access_token', { timeout: SLOW }, async () => {
      const { tokens, accountId } = await tokensFor(w);
      expect(await introspectToken({ token: tokens.refresh_token }, w.deps)).toEqual({
        active: true,
        token_type: 'refresh_token',
        sub: accountId,
        client_id: PORTAL,
        scope: tokens.scope,
        exp: START + REFRESH_TOKEN_SECONDS,
        iss: ISSUER,
      });
      const hinted = { token: tokens.access_token, token_type_hint: 'refresh_token' };
      expect(await introspectToken(hinted, w.deps)).toEqual({ active: false });
    });

    it('answers only { active: false } for unknown, used, revoked and expired tokens', { timeout: SLOW }, async () => {
      const inactive = async (token: string | undefined) =>
        expect(await introspectToken({ token }, w.deps)).toEqual({ active: false });
      await inactive('no-such-token');
      const { tokens } = await tokensFor(w);
      const rotated = await refreshGrant({ refresh_token: tokens.refresh_token }, w.portal, w.deps, 'req');
      await inactive(tokens.refresh_token);
      await revokeFamily(await familyOf(w, rotated), w.deps, 'req-revoke');
      await inactive(rotated.refresh_token);
      await inactive(rotated.access_token);
      const later = await tokensFor(w);
      w.advance(REFRESH_TOKEN_SECONDS);
      await inactive(later.tokens.refresh_token);
      await inactive(later.tokens.access_token);
    });
  });

  describe('authenticateClient', () => {
    it('accepts a confidential client with its secret', async () => {
      expect(
        (await authenticateClient({ clientId: DEPT, clientSecret: w.deptSecret }, w.deps, CLIENT_AUTH)).clientId,
      ).toBe(DEPT);
    });

    it('answers invalid_client (401) for a wrong or missing secret and for an unknown client', async () => {
      for (const credentials of [
        { clientId: DEPT, clientSecret: 'wrong-secret' },
        { clientId: DEPT, clientSecret: `${w.deptSecret}x` },
        { clientId: DEPT, clientSecret: w.deptSecret.slice(1) },
        { clientId: DEPT },
        { clientId: 'no-such-client', clientSecret: w.deptSecret },
        {},
      ]) {
        await expectOAuthError(authenticateClient(credentials, w.deps, CLIENT_AUTH), 'invalid_client', 401);
      }
    });

    it('lets a public client name itself, but not present a secret nor pass where a confidential client is required', async () => {
      expect((await authenticateClient({ clientId: PORTAL }, w.deps, CLIENT_AUTH)).clientId).toBe(PORTAL);
      await expectOAuthError(
        authenticateClient({ clientId: PORTAL, clientSecret: 'anything' }, w.deps, CLIENT_AUTH),
        'invalid_client',
        401,
      );
      await expectOAuthError(
        authenticateClient({ clientId: PORTAL }, w.deps, CLIENT_AUTH, true),
        'invalid_client',
        401,
      );
    });
  });

  describe('audit trail of a whole journey', () => {
    it('records login success and denial, token issue, refresh and reuse detection in order', {
      timeout: SLOW,
    }, async () => {
      await registerAccount(citizen(), w.deps, { requestId: 'req-register' });
      await failure(authenticate(ID_NUMBER, 'wrong-password', context(), w.deps));
      const { tokens } = await tokensFor(w);
      await refreshGrant({ refresh_token: tokens.refresh_token }, w.portal, w.deps, 'req-refresh');
      w.advance(REFRESH_GRACE_SECONDS + 1);
      await failure(refreshGrant({ refresh_token: tokens.refresh_token }, w.portal, w.deps, 'req-reuse'));
      expect(actions(w)).toEqual([
        'identity.account.create:success',
        'identity.login:denied',
        'identity.login:success',
        'identity.token.issue:success',
        'identity.token.refresh:success',
        'identity.token.revoke-family:success',
        'identity.token.reuse-detected:denied',
      ]);
      for (const event of w.events) expect(event.requestId).toBeTruthy();
    });
  });
});
