import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../cli/identity/clients.ts';
import type { Account, Client } from '../../functions/identity/model.ts';
import { identityPorts } from '../../functions/identity/ports.ts';
import { issueCode, validateAuthorization } from '../../functions/identity/use-cases/authorize.ts';
import { exchangeCode } from '../../functions/identity/use-cases/code-exchange.ts';
import type { IdentityDeps } from '../../functions/identity/use-cases/deps.ts';
import { startSession } from '../../functions/identity/use-cases/sessions.ts';
import type { AuditEvent, AuditInput } from '../../shared/audit.ts';
import { accessTokenVerifier } from '../../shared/auth/verifier.ts';
import { fileSigner } from '../../shared/crypto/signer.ts';
import { ensureSigningKey } from '../../local/keys.ts';
import { MemoryIdentityStore } from './memory-identity-store.ts';

/**
 * The identity use cases on the memory store, a clock of the test's own and the audit events captured.
 * Accounts are put straight into the store (no scrypt): for tests of what happens after sign-in.
 */
export const WORLD_ISSUER = 'https://id.example.gov.cn';
export const PORTAL = 'portal-app';
export const PORTAL_REDIRECT = 'https://portal.example.gov.cn/callback';
export const DEPT = 'dept-system';

const signer = fileSigner(ensureSigningKey(join(mkdtempSync(join(tmpdir(), 'dgov-world-')), 'token-signing.pem')));

export interface IdentityWorld {
  store: MemoryIdentityStore;
  deps: IdentityDeps;
  events: AuditInput[];
  advance(seconds: number): void;
  now(): number;
  portal: Client;
  dept: Client;
  deptSecret: string;
  signer: typeof signer;
}

export async function identityWorld(start = 1_767_225_605): Promise<IdentityWorld> {
  const store = new MemoryIdentityStore();
  const events: AuditInput[] = [];
  let clock = start;
  const verifyAccess = accessTokenVerifier({
    issuer: WORLD_ISSUER,
    audience: 'dgov-api',
    keys: async () => [await signer.publicJwk()],
    isRevoked: (jti) => store.isDenied(jti),
    now: () => clock,
  });
  const deps: IdentityDeps = {
    ...identityPorts(store),
    activeAccessToken: (token) => verifyAccess(token).catch(() => undefined),
    signer,
    issuer: WORLD_ISSUER,
    audience: 'dgov-api',
    loginAttemptsPerMinute: 20,
    now: () => clock,
    audit: async (input): Promise<AuditEvent> => {
      events.push(input);
      return { ...input, eventId: randomUUID(), time: new Date(clock * 1000).toISOString(), region: 'cn-test-1' };
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
      scopes: ['licences:read'],
      redirectUris: ['https://dept.example.gov.cn/cb'],
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
    signer,
  };
}

/** A citizen account stored as registration would leave it (its password hash is not a real one). */
export async function storedAccount(world: IdentityWorld): Promise<Account> {
  const account: Account = {
    accountId: `acc-${randomUUID()}`,
    type: 'citizen',
    identifier: randomUUID(),
    name: '张三',
    passwordHash: 'scrypt$unused',
    createdAt: new Date(world.now() * 1000).toISOString(),
  };
  await world.store.createAccount(account);
  return account;
}

/** Signs the account in (an SSO session) and issues a portal code with its PKCE verifier. */
export async function signedInCode(world: IdentityWorld, account?: Account) {
  const signedIn = account ?? (await storedAccount(world));
  const { cookie, session } = await startSession(signedIn, world.deps);
  const code = await newCode(world, session);
  return { account: signedIn, cookie, session, ...code };
}

/** Another code for the portal under an existing session. */
export async function newCode(world: IdentityWorld, session: Awaited<ReturnType<typeof startSession>>['session']) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const request = await validateAuthorization(
    {
      client_id: PORTAL,
      redirect_uri: PORTAL_REDIRECT,
      response_type: 'code',
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    },
    world.deps,
  );
  return { code: await issueCode(request, session, world.deps), verifier };
}

export const redeem = (world: IdentityWorld, code: string, verifier: string, requestId = 'req-token') =>
  exchangeCode({ code, redirect_uri: PORTAL_REDIRECT, code_verifier: verifier }, world.portal, world.deps, requestId);
