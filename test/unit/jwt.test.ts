import { createHash, generateKeyPairSync, randomBytes, sign, verify, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeJwt, derToJose, signJwt, verifyEs256Jose } from '../../shared/auth/jwt.ts';
import { fileSigner, publicJwkOf, thumbprint } from '../../shared/crypto/signer.ts';
import { ensureSigningKey } from '../../local/keys.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicJwk = publicKey.export({ format: 'jwk' }) as JsonWebKey;

/** The INTEGER lengths inside a DER ECDSA signature (SEQUENCE { INTEGER r, INTEGER s }). */
function derIntegers(der: Buffer): Buffer[] {
  expect(der[0]).toBe(0x30);
  let offset = 2;
  const values: Buffer[] = [];
  for (let i = 0; i < 2; i += 1) {
    expect(der[offset]).toBe(0x02);
    const length = der[offset + 1]!;
    values.push(der.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  return values;
}

const integer = (value: Buffer) => BigInt(`0x${value.toString('hex') || '0'}`);

describe('derToJose', () => {
  it('converts node:crypto DER signatures to 64-byte r||s that verify as ieee-p1363, including padded and short integers', () => {
    let padded = 0; // an INTEGER of 33 bytes: a leading 0x00 because the high bit is set
    let short = 0; // an INTEGER shorter than 32 bytes: the value itself starts with 0x00
    let ordinary = 0; // both INTEGERs exactly 32 bytes, checked too
    for (let i = 0; (padded < 3 || short < 3 || ordinary < 3) && i < 50_000; i += 1) {
      const data = randomBytes(16);
      const der = sign('sha256', data, privateKey);
      const [r, s] = derIntegers(der);
      const lengths = [r!.length, s!.length];
      const interesting = lengths.some((length) => length !== 32);
      if (lengths.includes(33)) padded += 1;
      if (lengths.some((length) => length < 32)) short += 1;
      // Check every interesting signature and a sample of ordinary ones (the first few always).
      if (!interesting && ordinary >= 3 && i % 50 !== 0) continue;
      const jose = derToJose(der);
      expect(jose).toHaveLength(64);
      expect(integer(jose.subarray(0, 32))).toBe(integer(r!));
      expect(integer(jose.subarray(32))).toBe(integer(s!));
      expect(
        verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose),
        `lengths ${lengths.join('/')}`,
      ).toBe(true);
      expect(verifyEs256Jose(publicJwk, data, jose)).toBe(true);
      if (!interesting) ordinary += 1;
    }
    expect(padded).toBeGreaterThanOrEqual(3);
    expect(short).toBeGreaterThanOrEqual(3);
    expect(ordinary).toBeGreaterThanOrEqual(3);
  });

  it('left-pads a one-byte r and strips the 0x00 of a 33-byte s, byte for byte', () => {
    const s = Buffer.alloc(32, 0xab);
    const der = Buffer.concat([Buffer.from([0x30, 3 + 2 + 33, 0x02, 0x01, 0x07, 0x02, 33, 0x00]), s]);
    const jose = derToJose(der);
    expect(jose).toEqual(Buffer.concat([Buffer.alloc(31), Buffer.from([0x07]), s]));
  });

  it('refuses input that is not a DER ECDSA signature', () => {
    expect(() => derToJose(Buffer.from([0x30, 0x04, 0x04, 0x02, 0x01, 0x01]))).toThrow(/not a DER ECDSA signature/);
    expect(() => derToJose(Buffer.alloc(0))).toThrow();
  });
});

describe('signJwt with the file signer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dgov-jwt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keyPath = ensureSigningKey(join(dir, 'keys', 'token-signing.pem'));
  const signer = fileSigner(keyPath);

  it('produces an ES256 JWT whose header names the key by its RFC 7638 thumbprint', async () => {
    const jwk = await signer.publicJwk();
    const token = await signJwt(signer, { sub: 'acc-1', scope: 'openid' }, 'at+jwt');
    const decoded = decodeJwt(token);
    expect(decoded?.header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: jwk.kid });
    expect(jwk.kid).toBe(thumbprint(jwk));
    expect(await signer.kid()).toBe(jwk.kid);
    expect(decoded?.claims).toEqual({ sub: 'acc-1', scope: 'openid' });
    expect(decoded?.signature).toHaveLength(64);
    expect(verifyEs256Jose(jwk, decoded!.signingInput, decoded!.signature)).toBe(true);
  });

  it('defaults the typ header to JWT', async () => {
    const token = await signJwt(signer, { sub: 'acc-1' });
    expect(decodeJwt(token)?.header.typ).toBe('JWT');
  });

  it('is verified by an independent JOSE implementation (jose)', async () => {
    const jwk = await signer.publicJwk();
    const token = await signJwt(signer, { sub: 'acc-2', iss: 'https://id.example.gov.cn' });
    const { payload, protectedHeader } = await jwtVerify(token, await importJWK(jwk, 'ES256'), {
      issuer: 'https://id.example.gov.cn',
      algorithms: ['ES256'],
    });
    expect(payload.sub).toBe('acc-2');
    expect(protectedHeader.kid).toBe(jwk.kid);
  });

  it('keeps one key across calls (the kid is stable) and ensureSigningKey does not replace an existing file', async () => {
    const before = await signer.publicJwk();
    expect(ensureSigningKey(keyPath)).toBe(keyPath);
    expect((await fileSigner(keyPath).publicJwk()).kid).toBe(before.kid);
  });

  it('yields a signature that fails once the claims are changed', async () => {
    const jwk = await signer.publicJwk();
    const [header, , signature] = (await signJwt(signer, { sub: 'acc-1', scope: 'openid' })).split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ sub: 'acc-1', scope: 'openid admin' })).toString('base64url');
    const forged = decodeJwt(`${header}.${forgedClaims}.${signature}`)!;
    expect(verifyEs256Jose(jwk, forged.signingInput, forged.signature)).toBe(false);
  });

  it('uses the key in the file: a different key file gives a different kid and signatures the first key rejects', async () => {
    const other = fileSigner(ensureSigningKey(join(dir, 'keys', 'other.pem')));
    const otherJwk = await other.publicJwk();
    expect(otherJwk.kid).not.toBe((await signer.publicJwk()).kid);
    const decoded = decodeJwt(await signJwt(other, { sub: 'x' }))!;
    expect(verifyEs256Jose(await signer.publicJwk(), decoded.signingInput, decoded.signature)).toBe(false);
    expect(verifyEs256Jose(otherJwk, decoded.signingInput, decoded.signature)).toBe(true);
  });
});

describe('decodeJwt', () => {
  const b64 = (value: string) => Buffer.from(value).toString('base64url');
  const header = b64(JSON.stringify({ alg: 'ES256', kid: 'k' }));
  const claims = b64(JSON.stringify({ sub: 'a' }));

  it('decodes a well-formed token', () => {
    const decoded = decodeJwt(`${header}.${claims}.${b64('sig')}`);
    expect(decoded?.header).toEqual({ alg: 'ES256', kid: 'k' });
    expect(decoded?.claims).toEqual({ sub: 'a' });
    expect(decoded?.signingInput.toString()).toBe(`${header}.${claims}`);
    expect(decoded?.signature.toString()).toBe('sig');
  });

  it('answers undefined for garbage instead of throwing', () => {
    const garbage = [
      '',
      '.',
      '..',
      'abc',
      'a.b',
      'a.b.c',
      `${header}.${claims}`,
      `${header}.${claims}.sig.extra`,
      '!!!.###.$$$',
      `${b64('not json')}.${claims}.sig`,
      `${header}.${b64('{"sub":')}.sig`,
      `${b64('null')}.${claims}.sig`,
      `${header}.${b64('null')}.sig`,
      `${b64('42')}.${claims}.sig`,
      `${header}.${b64('"a string"')}.sig`,
      `${header}.${b64('true')}.sig`,
      randomBytes(64).toString('base64url'),
    ];
    for (const token of garbage) expect(decodeJwt(token), JSON.stringify(token)).toBeUndefined();
  });

  it('never throws on random dot-separated input', () => {
    for (let i = 0; i < 500; i += 1) {
      const parts = Array.from({ length: 3 }, () => randomBytes(i % 24).toString(i % 2 ? 'base64url' : 'latin1'));
      expect(() => decodeJwt(parts.join('.'))).not.toThrow();
    }
  });
});

describe('publicJwkOf', () => {
  it('publishes only the public members of the key', () => {
    const jwk = publicJwkOf(privateKey);
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'x', 'y']);
    expect(jwk.kid).toBe(
      createHash('sha256')
        .update(JSON.stringify({ crv: 'P-256', kty: 'EC', x: jwk.x, y: jwk.y }))
        .digest('base64url'),
    );
  });
});
