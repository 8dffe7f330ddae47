import fc from 'fast-check';
import QRCode from 'qrcode';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fileSm2Signer } from '../../../functions/licences/adapters/seal-signers.ts';
import { canonicalBytes, type SealJwk, verifySignature } from '../../../functions/licences/domain/seal.ts';
import { DependencyUnavailableError } from '../../../shared/errors.ts';
import {
  citizenId,
  creditCode,
  department,
  keyFile,
  licencesWorld,
  OUR_ISSUER,
  person,
} from '../../support/licences/world.ts';

const enterprise = { kind: 'enterprise' as const, id: creditCode() };
const citizen = { kind: 'citizen' as const, id: citizenId() };
const stranger = { kind: 'citizen' as const, id: citizenId('11010519800101001') };
const market = department('dept-market');
const police = department('dept-police');

const businessLicence = (matterId = 'M-1', overrides: Record<string, unknown> = {}) => ({
  type: 'business-licence',
  holder: enterprise,
  matterId,
  data: {
    creditCode: enterprise.id,
    enterpriseName: '济南示例科技有限公司',
    legalRepresentative: '张三',
    enterpriseType: '有限责任公司',
    address: '济南市历下区',
    businessScope: '软件开发',
    establishedOn: '2020-01-02',
  },
  ...overrides,
});
const criminalRecord = (matterId = 'P-1') => ({
  type: 'no-criminal-record',
  holder: citizen,
  matterId,
  data: {
    name: '李四',
    idNumber: citizen.id,
    purpose: '就业',
    checkedPeriod: { from: '2010-01-01', to: '2025-01-01' },
  },
});

describe('issuing', () => {
  it('seals with SM2-SM3 by default; the same matter again is the same licence, another payload a 409', async () => {
    const world = licencesWorld();
    const first = await world.call('POST', '/licences', { caller: market, body: businessLicence() });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'valid', seal: { alg: 'SM2-SM3', issuer: OUR_ISSUER } });
    expect(first.body.licenceId).toMatch(/^L[0-9A-Z]{17}$/);
    expect(world.archive.has(first.body.licenceId)).toBe(true);
    const again = await world.call('POST', '/licences', { caller: market, body: businessLicence() });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const changed = businessLicence('M-1', { validUntil: '2099-01-01T00:00:00Z' });
    expect((await world.call('POST', '/licences', { caller: market, body: changed })).status).toBe(409);
    expect(world.store.licences.size).toBe(1);
    expect(world.audits.filter((event) => event.action === 'licence.issued')).toHaveLength(1);
    expect(world.notifications).toEqual([
      expect.objectContaining({ type: 'licence.issued', licenceId: first.body.licenceId, holder: enterprise }),
    ]);
  });

  it('50 concurrent issues with one matterId make exactly one licence', async () => {
    const world = licencesWorld();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        world.call('POST', '/licences', { caller: police, body: criminalRecord('P-race') }),
      ),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect(answers.every((answer) => answer.status === 201 || answer.status === 200)).toBe(true);
    expect(new Set(answers.map((answer) => answer.body.licenceId)).size).toBe(1);
    expect(world.store.licences.size).toBe(1);
    expect(world.archive.size).toBe(1); // the losers' copies are discarded
  });

  it('ES256 on request; the receipt type for dept-finance', async () => {
    const world = licencesWorld();
    const es = await world.call('POST', '/licences', {
      caller: market,
      body: { ...businessLicence('M-es'), sealAlg: 'ES256' },
    });
    expect(es.body.seal.alg).toBe('ES256');
    expect(
      (await world.call('POST', '/licences/verify', { body: { document: es.body.document, seal: es.body.seal } })).body
        .valid,
    ).toBe(true);
    const receipt = await world.call('POST', '/licences', {
      caller: department('dept-finance'),
      body: {
        type: 'payment-receipt',
        holder: citizen,
        matterId: 'PO-1',
        data: {
          orderId: 'PO-1',
          paymentCode: '3701001',
          itemCode: 'FEE-1',
          amountFen: 2500,
          currency: 'CNY',
          paidAt: '2026-01-02T03:04:05Z',
          payerName: '李四',
        },
      },
    });
    expect(receipt.status).toBe(201);
    expect(receipt.body.document.validUntil).toBeUndefined();
  });

  it.each([
    [
      'data failing the schema names the fields',
      businessLicence('M-2', { data: { creditCode: 'nope', extra: 1 } }),
      ['body.data.creditCode', 'body.data.enterpriseName'],
    ],
    ['an unknown type', businessLicence('M-3', { type: 'fishing-permit' }), ['body.type']],
    [
      'a holder with a bad check digit',
      businessLicence('M-4', {
        holder: { kind: 'citizen', id: `${citizen.id.slice(0, 17)}${citizen.id[17] === '0' ? '1' : '0'}` },
      }),
      ['body.holder.id'],
    ],
    [
      'a validity that ends before it starts',
      businessLicence('M-5', { validFrom: '2030-01-01T00:00:00Z', validUntil: '2029-01-01T00:00:00Z' }),
      ['body.validUntil'],
    ],
  ])('400: %s', async (_name, body, paths) => {
    const world = licencesWorld();
    const answer = await world.call('POST', '/licences', { caller: market, body });
    expect(answer.status).toBe(400);
    const named = answer.body.errors.map((error: { path: string }) => error.path);
    for (const path of paths) expect(named).toContain(path);
    expect(world.store.licences.size).toBe(0);
  });

  it('403: a department issuing a type it may not, or a client without the scope (audited as denied)', async () => {
    const world = licencesWorld();
    expect((await world.call('POST', '/licences', { caller: police, body: businessLicence() })).status).toBe(403);
    expect(
      (
        await world.call('POST', '/licences', {
          caller: department('dept-market', 'tickets:act'),
          body: businessLicence(),
        })
      ).status,
    ).toBe(403);
    expect(world.audits.filter((event) => event.outcome === 'denied')).toHaveLength(2);
    expect(world.store.licences.size).toBe(0);
  });

  it('the audit queue down: 503 and nothing announced; the retry announces once', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const world = licencesWorld({ now: () => now });
    const audit = world.deps.audit;
    world.deps.audit = async () => {
      throw new DependencyUnavailableError('audit queue');
    };
    expect((await world.call('POST', '/licences', { caller: market, body: businessLicence('M-down') })).status).toBe(
      503,
    );
    expect(world.notifications).toHaveLength(0);
    world.deps.audit = audit;
    // Within the grace the replay waits for the request that made it (ANNOUNCE_WAITS_MS); that one
    // failed, so the replay announces: the client's retry, answered 200, leaves nothing unannounced.
    expect((await world.call('POST', '/licences', { caller: market, body: businessLicence('M-down') })).status).toBe(
      200,
    );
    expect(world.audits.filter((event) => event.action === 'licence.issued')).toHaveLength(1);
    expect(world.notifications).toHaveLength(1);
    now = new Date('2026-01-01T00:01:00Z');
    const retry = await world.call('POST', '/licences', { caller: market, body: businessLicence('M-down') });
    expect(retry.status).toBe(200);
    expect(world.audits.filter((event) => event.action === 'licence.issued')).toHaveLength(1);
    expect(world.notifications).toHaveLength(1);
    await world.call('POST', '/licences', { caller: market, body: businessLicence('M-down') });
    expect(world.notifications).toHaveLength(1);
  });
});

describe('who may see and revoke', () => {
  it('holder and issuer read; anyone else is 403 on every route, and only the issuer revokes', async () => {
    const world = licencesWorld();
    const { licenceId } = (await world.call('POST', '/licences', { caller: police, body: criminalRecord() })).body;
    for (const path of [
      `/licences/${licenceId}`,
      `/licences/${licenceId}/credential`,
      `/licences/${licenceId}/qr.png`,
    ]) {
      expect((await world.call('GET', path, { caller: person(citizen) })).status, path).toBe(200);
      expect((await world.call('GET', path, { caller: police })).status, path).toBe(200);
      expect((await world.call('GET', path, { caller: person(stranger) })).status, path).toBe(403);
      expect((await world.call('GET', path, { caller: market })).status, path).toBe(403);
    }
    const revoke = `/licences/${licenceId}/revoke`;
    expect((await world.call('POST', revoke, { caller: person(citizen), body: { reason: 'mine' } })).status).toBe(403);
    expect((await world.call('POST', revoke, { caller: market, body: { reason: 'not ours' } })).status).toBe(403);
    expect(world.audits.filter((event) => event.outcome === 'denied').length).toBeGreaterThanOrEqual(8);
    expect((await world.store.get(licenceId))!.status).toBe('valid');
  });

  it('404 for an unknown id, 400 for a bad check character', async () => {
    const world = licencesWorld();
    const { licenceId } = (await world.call('POST', '/licences', { caller: police, body: criminalRecord() })).body as {
      licenceId: string;
    };
    world.store.licences.clear();
    expect((await world.call('GET', `/licences/${licenceId}`, { caller: police })).status).toBe(404);
    const last = licenceId.at(-1) === '0' ? '1' : '0';
    expect((await world.call('GET', `/licences/${licenceId.slice(0, -1)}${last}`, { caller: police })).status).toBe(
      400,
    );
  });

  it('holder=me lists the caller’s own licences only', async () => {
    const world = licencesWorld();
    await world.call('POST', '/licences', { caller: police, body: criminalRecord('P-a') });
    await world.call('POST', '/licences', { caller: police, body: criminalRecord('P-b') });
    await world.call('POST', '/licences', { caller: market, body: businessLicence() });
    const mine = await world.call('GET', '/licences?holder=me', { caller: person(citizen) });
    expect(mine.body.licences).toHaveLength(2);
    expect(mine.body.licences[0]).toMatchObject({ type: 'no-criminal-record', status: 'valid' });
    expect((await world.call('GET', '/licences?holder=me', { caller: person(stranger) })).body.licences).toEqual([]);
    expect((await world.call('GET', '/licences?holder=someone', { caller: person(citizen) })).status).toBe(400);
  });

  it('the QR code encodes the short verify URL, which verifies the licence', async () => {
    const world = licencesWorld();
    const issued = (await world.call('POST', '/licences', { caller: police, body: criminalRecord() })).body;
    const qr = await world.call('GET', `/licences/${issued.licenceId}/qr.png`, { caller: person(citizen) });
    expect(qr.headers['content-type']).toBe('image/png');
    const png = Buffer.from(qr.raw.body!, 'base64');
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const url = issued.document.verifyUrl as string;
    expect(
      png.equals(await QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 6 })),
    ).toBe(true);
    const link = await world.call('GET', new URL(url).pathname + new URL(url).search);
    expect(link.body.valid).toBe(true);
  });
});

describe('verification', () => {
  const issued = async (world = licencesWorld()) => ({
    world,
    licence: (await world.call('POST', '/licences', { caller: police, body: criminalRecord() })).body,
  });
  const verify = async (world: ReturnType<typeof licencesWorld>, body: unknown) => {
    const answer = await world.call('POST', '/licences/verify', { body });
    expect(answer.status).toBe(200);
    return answer.body as { valid: boolean; checks: Record<string, boolean>; reasons: string[] };
  };

  it('a licence as issued verifies, by value and by id', async () => {
    const { world, licence } = await issued();
    expect(await verify(world, { document: licence.document, seal: licence.seal })).toEqual({
      valid: true,
      checks: { seal: true, issuerTrusted: true, inValidity: true, notRevoked: true },
      reasons: [],
    });
    expect((await verify(world, { licenceId: licence.licenceId })).valid).toBe(true);
  });

  it('names the failed check: one changed character, another key, a swapped kid, a malformed signature', async () => {
    const { world, licence } = await issued();
    const altered = { ...licence.document, data: { ...licence.document.data, name: '李五' } };
    const other = fileSm2Signer(keyFile('SM2'), OUR_ISSUER);
    const forged = (await other.sign(canonicalBytes(licence.document)!)).toString('base64url');
    const esKid = (await world.deps.signers.get('ES256')!.publicJwk()).kid;
    for (const [document, seal, reason] of [
      [altered, licence.seal, /does not match/],
      [licence.document, { ...licence.seal, signature: forged }, /does not match/],
      [licence.document, { ...licence.seal, kid: esKid }, /ES256 key/],
      [licence.document, { ...licence.seal, signature: '!!not base64' }, /base64url/],
      [licence.document, { ...licence.seal, signature: 'AAAA' }, /does not match/],
    ] as const) {
      const verdict = await verify(world, { document, seal });
      expect(verdict.valid).toBe(false);
      expect(verdict.checks.seal).toBe(false);
      expect(verdict.reasons.join(' ')).toMatch(reason);
    }
  });

  it('revoked: notRevoked false, in the signed status list, and the revocation is announced once', async () => {
    const { world, licence } = await issued();
    const revoke = await world.call('POST', `/licences/${licence.licenceId}/revoke`, {
      caller: police,
      body: { reason: 'issued in error' },
    });
    expect(revoke.body).toMatchObject({ status: 'revoked', revokeReason: 'issued in error' });
    await world.call('POST', `/licences/${licence.licenceId}/revoke`, { caller: police, body: { reason: 'again' } });
    const verdict = await verify(world, { document: licence.document, seal: licence.seal });
    expect(verdict).toMatchObject({
      valid: false,
      checks: { seal: true, issuerTrusted: true, inValidity: true, notRevoked: false },
    });
    expect(world.audits.filter((event) => event.action === 'licence.revoked')).toHaveLength(1);
    expect(world.notifications.map((event) => event.type)).toEqual(['licence.issued', 'licence.revoked']);

    const status = licence.document.credentialStatus;
    const list = await world.call('GET', new URL(status.statusListCredential).pathname);
    expect(list.headers['cache-control']).toBe('public, max-age=300');
    expect(list.body.type).toContain('BitstringStatusListCredential');
    const bits = gunzipSync(Buffer.from(list.body.credentialSubject.encodedList.slice(1), 'base64url'));
    expect(bits.length).toBe(16_384);
    const index = Number(status.statusListIndex);
    expect(bits[index >> 3]! & (0x80 >> (index & 7))).not.toBe(0);
    const { proof, ...unsigned } = list.body;
    const keys = (await world.call('GET', '/licences/seal-keys')).body.keys as SealJwk[];
    const key = keys.find((candidate) => proof.verificationMethod.endsWith(`#${candidate.kid}`))!;
    expect(verifySignature(key, canonicalBytes(unsigned)!, Buffer.from(proof.proofValue, 'base64url'))).toBe(true);
  });

  it('expired or not yet valid: inValidity false', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const world = licencesWorld({ now: () => now });
    const { licence } = await issued(world);
    now = new Date('2026-06-01T00:00:00Z'); // 90 days of validity are over
    expect(await verify(world, { document: licence.document, seal: licence.seal })).toMatchObject({
      valid: false,
      checks: { inValidity: false },
    });
    now = new Date('2025-12-01T00:00:00Z');
    expect((await verify(world, { licenceId: licence.licenceId })).reasons).toContain(
      'inValidity: the licence is not valid yet',
    );
  });

  it('mutual recognition: a trusted external issuer’s licence verifies, an untrusted one does not', async () => {
    const national = fileSm2Signer(keyFile('SM2'), 'national-platform');
    const unknown = fileSm2Signer(keyFile('SM2'), 'somewhere-else');
    const world = licencesWorld({ trusted: [await national.publicJwk()] });
    const external = (_signer: typeof national, issuer: string) => ({
      licenceId: 'EXT-1',
      type: 'business-licence',
      issuer: { id: issuer, department: 'market-bureau' },
      holder: enterprise,
      validFrom: '2020-01-01T00:00:00Z',
      data: { any: 'thing' },
    });
    const sealed = async (signer: typeof national, issuer: string) => {
      const document = external(signer, issuer);
      const jwk = await signer.publicJwk();
      return {
        document,
        seal: {
          alg: 'SM2-SM3',
          kid: jwk.kid,
          issuer,
          signature: (await signer.sign(canonicalBytes(document)!)).toString('base64url'),
        },
      };
    };
    expect((await verify(world, await sealed(national, 'national-platform'))).valid).toBe(true);
    const untrusted = await verify(world, await sealed(unknown, 'somewhere-else'));
    expect(untrusted).toMatchObject({ valid: false, checks: { seal: false, issuerTrusted: false } });
    const keys = (await world.call('GET', '/licences/seal-keys')).body.keys;
    expect(keys.map((key: SealJwk) => key.issuer).sort()).toEqual([OUR_ISSUER, OUR_ISSUER, 'national-platform']);
    expect(keys.find((key: SealJwk) => key.alg === 'SM2-SM3' && key.issuer === OUR_ISSUER)).toMatchObject({
      kty: 'EC',
      crv: 'SM2',
    });
  });

  it('a department sealing a type it may not issue is not trusted, even with our key', async () => {
    const { world, licence } = await issued();
    const document = { ...licence.document, issuer: { ...licence.document.issuer, department: 'dept-market' } };
    const signature = (await world.deps.signers.get('SM2-SM3')!.sign(canonicalBytes(document)!)).toString('base64url');
    const verdict = await verify(world, { document, seal: { ...licence.seal, signature } });
    expect(verdict.checks).toMatchObject({ seal: true, issuerTrusted: false });
  });

  it('any JSON at all is a verdict or a 400, never a 5xx', async () => {
    const { world, licence } = await issued();
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), async (document, seal) => {
        const answer = await world.call('POST', '/licences/verify', { body: { document, seal } });
        expect(answer.status).toBe(200);
        expect(answer.body.valid).toBe(false);
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string(), async (text) => {
        const answer = await world.call('POST', '/licences/verify', { body: text });
        expect([200, 400, 404]).toContain(answer.status);
      }),
      { numRuns: 100 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('alg', 'kid', 'issuer', 'signature'), fc.jsonValue(), async (field, value) => {
        const answer = await world.call('POST', '/licences/verify', {
          body: { document: licence.document, seal: { ...licence.seal, [field]: value } },
        });
        expect(answer.status).toBe(200);
      }),
      { numRuns: 100 },
    );
  });
});

describe('published documents', () => {
  it('GET /licences/types: every type with its issuers and the JSON Schema of its data', async () => {
    const world = licencesWorld();
    const types = (await world.call('GET', '/licences/types')).body as {
      type: string;
      issuers: string[];
      schema: { properties: object };
    }[];
    expect(types.map((entry) => entry.type)).toEqual([
      'business-licence',
      'food-operation-licence',
      'no-criminal-record',
      'payment-receipt',
    ]);
    expect(types.find((entry) => entry.type === 'payment-receipt')).toMatchObject({
      issuers: ['dept-finance'],
      schema: { type: 'object', required: expect.arrayContaining(['orderId', 'amountFen', 'payerName']) },
    });
  });

  it('the credential is a VC 2.0 whose proof verifies with the published key', async () => {
    const world = licencesWorld();
    const licence = (await world.call('POST', '/licences', { caller: market, body: businessLicence() })).body;
    const answer = await world.call('GET', `/licences/${licence.licenceId}/credential`, { caller: person(enterprise) });
    expect(answer.headers['content-type']).toBe('application/vc+ld+json');
    const credential = JSON.parse(answer.raw.body!);
    expect(credential['@context'][0]).toBe('https://www.w3.org/ns/credentials/v2');
    expect(credential.type).toContain('VerifiableCredential');
    expect(credential.credentialStatus).toEqual(licence.document.credentialStatus);
    const { proof, ...unsigned } = credential;
    const keys = (await world.call('GET', '/licences/seal-keys')).body.keys as SealJwk[];
    const key = keys.find((candidate) => proof.verificationMethod.endsWith(`#${candidate.kid}`))!;
    expect(verifySignature(key, canonicalBytes(unsigned)!, Buffer.from(proof.proofValue, 'base64url'))).toBe(true);
  });
});
