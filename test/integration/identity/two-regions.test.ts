import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handleKey, homeOf } from '../../../functions/identity/home-region.ts';
import { homedIdentityStore } from '../../../functions/identity/homed-store.ts';
import { identityPorts, type IdentityStore } from '../../../functions/identity/ports.ts';
import { dynamoIdentityStore } from '../../../functions/identity/store.ts';
import { exchangeCode } from '../../../functions/identity/use-cases/code-exchange.ts';
import type { IdentityDeps } from '../../../functions/identity/use-cases/deps.ts';
import { refreshGrant } from '../../../functions/identity/use-cases/refresh.ts';
import { revokeToken } from '../../../functions/identity/use-cases/revocation.ts';
import { startSession } from '../../../functions/identity/use-cases/sessions.ts';
import type { TokenResponse } from '../../../functions/identity/use-cases/token-minting.ts';
import { LOCAL_CREDENTIALS } from '../../../local/aws-clients.ts';
import { DynamoDbLocal } from '../../../local/embedded-aws.ts';
import { freePort } from '../../../local/ports.ts';
import { createSingleTable } from '../../../local/single-table.ts';
import { DependencyUnavailableError } from '../../../shared/errors.ts';
import { identityWorld, type IdentityWorld, newCode, PORTAL_REDIRECT } from '../../support/identity-world.ts';
import { laggingReplication } from '../../support/lagging-replication.ts';

/**
 * Identity in two regions, on DynamoDB: the integration project's DynamoDB Local is region A, one more
 * instance region B, and test/support/lagging-replication.ts copies every write to the other region
 * LAG_MS later (or, held, only when the test releases it), as a global table would with a slow link. Each region serves with the store the
 * Lambda builds (homed-store.ts over dynamoIdentityStore): its own table for what has no home, every
 * region's table for items homed there.
 */
const A = 'cn-north-1';
const B = 'cn-northwest-1';
const LAG_MS = 200;
const tables = {
  identity: `identity-2r-${randomUUID().slice(0, 8)}`,
  control: `control-2r-${randomUUID().slice(0, 8)}`,
};

let regionB: DynamoDbLocal;
let replication: ReturnType<typeof laggingReplication>;
let w: IdentityWorld;
const plain = (endpoint: string, region: string) =>
  new DynamoDBClient({ region, endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
const documentsAt = (endpoint: string, region: string) =>
  DynamoDBDocumentClient.from(plain(endpoint, region), { marshallOptions: { removeUndefinedValues: true } });

beforeAll(async () => {
  const started = Date.now();
  regionB = new DynamoDbLocal({ dynamodbPort: await freePort() });
  await regionB.start();
  console.info(`two regions: region B's DynamoDB Local started in ${Date.now() - started} ms`);
  const endpoints = { [A]: inject('aws').dynamodb, [B]: regionB.endpoint };
  for (const [region, endpoint] of Object.entries(endpoints)) {
    await createSingleTable(plain(endpoint, region), tables.identity);
    await createSingleTable(plain(endpoint, region), tables.control);
  }
  replication = laggingReplication(
    [
      { name: A, documents: documentsAt(endpoints[A]!, A) },
      { name: B, documents: documentsAt(endpoints[B]!, B) },
    ],
    LAG_MS,
  );
  w = await identityWorld(Math.floor(Date.now() / 1000));
  // The portal client, replicated long ago: in both regions.
  for (const region of [A, B]) await tableIn(region).putClient(w.portal);
}, 60_000);

afterAll(async () => {
  await replication?.drain();
  await regionB?.stop();
});

/** One region's table, through the replicating client. */
const tableIn = (region: string): IdentityStore => dynamoIdentityStore(replication.clientFor(region), tables);

/** The use cases as region `here` serves them; `regions` overrides how a region is reached (a lost one). */
function servedIn(here: string, regions: Record<string, IdentityStore> = {}): IdentityDeps {
  const store = homedIdentityStore({
    here,
    shared: tableIn(here),
    regions: { [A]: tableIn(A), [B]: tableIn(B), ...regions },
  });
  return { ...w.deps, ...identityPorts(store), homeRegion: here };
}

/** What every region did before the home regions: the same handles, each consumed in the serving region's own table. */
function servedLocallyIn(here: string): IdentityDeps {
  return { ...w.deps, ...identityPorts(tableIn(here)), homeRegion: undefined };
}

/** A person signed in at `home`, with a fresh code (and its verifier) homed there. */
async function codeAt(home: string, deps = servedIn(home)) {
  const account = {
    accountId: `acc-${randomUUID()}`,
    type: 'citizen' as const,
    identifier: randomUUID(),
    name: '张三',
    passwordHash: 'scrypt$unused',
    createdAt: new Date().toISOString(),
  };
  await tableIn(A).createAccount(account); // accounts are global: already in both regions
  await tableIn(B).createAccount(account);
  const { session } = await startSession(account, deps);
  return newCode({ ...w, deps }, session);
}

const exchangeIn = (deps: IdentityDeps, code: string, verifier: string) =>
  exchangeCode({ code, redirect_uri: PORTAL_REDIRECT, code_verifier: verifier }, w.portal, deps, `req-${randomUUID()}`);
const refreshIn = (deps: IdentityDeps, token: string) =>
  refreshGrant({ refresh_token: token }, w.portal, deps, `req-${randomUUID()}`);
const answersOf = <T>(results: PromiseSettledResult<T>[]) =>
  results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
const jtiOf = (tokens: TokenResponse) =>
  (JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;

describe('identity in two regions with lagging replication', () => {
  it('shows the lag is real: consumed in the serving region, one code redeems once in each region', async () => {
    const { code, verifier } = await codeAt(A, servedLocallyIn(A));
    await replication.drain(); // the code itself has reached B
    replication.hold();
    const both = await Promise.allSettled([
      exchangeIn(servedLocallyIn(A), code, verifier),
      exchangeIn(servedLocallyIn(B), code, verifier),
    ]);
    replication.release();
    const answers = answersOf(both);
    expect(answers).toHaveLength(2);
    expect(answers[0]!.access_token).not.toBe(answers[1]!.access_token); // two token sets from one code
  });

  it('(a) redeems a refresh token once when both regions are asked at once inside the lag', async () => {
    const { code, verifier } = await codeAt(A);
    const tokens = await exchangeIn(servedIn(A), code, verifier);
    await replication.drain();
    const noGrace = (deps: IdentityDeps) => ({ ...deps, refreshGraceSeconds: 0 });
    replication.hold();
    const both = await Promise.allSettled([
      refreshIn(noGrace(servedIn(A)), tokens.refresh_token!),
      refreshIn(noGrace(servedIn(B)), tokens.refresh_token!),
    ]);
    replication.release();
    expect(answersOf(both).length).toBeLessThanOrEqual(1);
    for (const result of both) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ error: 'invalid_grant' });
    }
    // Decided in A, the token's home: its family is revoked there (the second use was a reuse).
    const { familyId } = (await tableIn(A).refresh(handleKey(tokens.refresh_token!)))!;
    expect((await tableIn(A).family(familyId))!.revoked).toBe(true);
  });

  it('(a) forwards a refresh asked in both regions within the grace to the home region: one successor for both', async () => {
    const { code, verifier } = await codeAt(B);
    const tokens = await exchangeIn(servedIn(B), code, verifier);
    const [inA, inB] = await Promise.all([
      refreshIn(servedIn(A), tokens.refresh_token!),
      refreshIn(servedIn(B), tokens.refresh_token!),
    ]);
    expect(inA).toEqual(inB);
    expect(homeOf(inA.refresh_token!)).toBe(B);
    expect(await tableIn(B).refresh(handleKey(inA.refresh_token!))).toMatchObject({ used: false });
  });

  it('(b) redeems a code once when both regions are asked at once inside the lag: one token set, or a refusal', async () => {
    const { code, verifier } = await codeAt(A);
    await replication.drain();
    replication.hold();
    const both = await Promise.allSettled([
      exchangeIn({ ...servedIn(A), refreshGraceSeconds: 0 }, code, verifier),
      exchangeIn({ ...servedIn(B), refreshGraceSeconds: 0 }, code, verifier),
    ]);
    replication.release();
    const answers = answersOf(both);
    expect(answers.length).toBeLessThanOrEqual(1);
    const { answer } = (await tableIn(A).code(handleKey(code)))!;
    // The replay revoked the one token set there was.
    expect((await tableIn(A).family(answer!.familyId))!.revoked).toBe(true);
    expect(await servedIn(A).denyList.isDenied(answer!.accessJti)).toBe(true);
    expect(await servedIn(B).denyList.isDenied(answer!.accessJti)).toBe(true);
  });

  it('(b) gives both regions the same tokens for one code within the grace', async () => {
    const { code, verifier } = await codeAt(A);
    const [inA, inB] = await Promise.all([
      exchangeIn(servedIn(A), code, verifier),
      exchangeIn(servedIn(B), code, verifier),
    ]);
    expect(inA).toEqual(inB);
  });

  it('(c) holds a revocation made in A in B inside the lag: the refresh token refused, the access token denied', async () => {
    const { code, verifier } = await codeAt(A);
    const tokens = await exchangeIn(servedIn(A), code, verifier);
    await replication.drain();
    const copiesBefore = replication.copies.count;
    replication.hold();
    await revokeToken({ token: tokens.refresh_token! }, w.portal, servedIn(A), 'req-revoke');
    // Inside the lag: nothing of the revocation has been copied to B, yet B refuses both tokens.
    expect(await servedIn(B).denyList.isDenied(jtiOf(tokens))).toBe(true);
    await expect(refreshIn(servedIn(B), tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(replication.copies.count).toBe(copiesBefore);
    // And after replication, still in both.
    replication.release();
    await replication.drain();
    await expect(refreshIn(servedIn(B), tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(refreshIn(servedIn(A), tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('(c) keeps a family revoked in its home when the other region appends to it at the same moment', async () => {
    const { code, verifier } = await codeAt(A);
    const tokens = await exchangeIn(servedIn(A), code, verifier);
    await replication.drain();
    // A refresh served by B (its append goes to A) races the revocation served by A.
    replication.hold();
    const [refreshed] = await Promise.allSettled([
      refreshIn(servedIn(B), tokens.refresh_token!),
      revokeToken({ token: tokens.refresh_token! }, w.portal, servedIn(A), 'req-revoke'),
    ]);
    replication.release();
    await replication.drain();
    const { familyId } = (await tableIn(A).refresh(handleKey(tokens.refresh_token!)))!;
    for (const region of [A, B]) expect((await tableIn(region).family(familyId))!.revoked, region).toBe(true);
    if (refreshed.status === 'fulfilled') {
      // The refresh came first: the revocation saw its access token and denied it, in both regions.
      for (const region of [A, B]) expect(await servedIn(region).denyList.isDenied(jtiOf(refreshed.value))).toBe(true);
    }
  });

  it('refuses with 503, and consumes nothing locally, when the home region cannot be reached', async () => {
    const { code, verifier } = await codeAt(A);
    const tokens = await exchangeIn(servedIn(A), code, verifier);
    await replication.drain();
    const lost = dynamoIdentityStore(documentsAt(`http://127.0.0.1:${await freePort()}`, A), tables);
    const cutOff = servedIn(B, { [A]: lost });
    await expect(refreshIn(cutOff, tokens.refresh_token!)).rejects.toBeInstanceOf(DependencyUnavailableError);
    // B's replica of the token is untouched, and A still has it unused: usable once A is back.
    expect(await tableIn(B).refresh(handleKey(tokens.refresh_token!))).toMatchObject({ used: false });
    expect(await tableIn(A).refresh(handleKey(tokens.refresh_token!))).toMatchObject({ used: false });
    await expect(refreshIn(servedIn(B), tokens.refresh_token!)).resolves.toHaveProperty('refresh_token');
  });
});
