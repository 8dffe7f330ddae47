// Identity figures for `npm run bench`, each beside its raw node:crypto baseline from the same run.
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AuditInput } from '../shared/audit.ts';
import { signJwt } from '../shared/auth/jwt.ts';
import { accessTokenVerifier } from '../shared/auth/verifier.ts';
import { fileSigner } from '../shared/crypto/signer.ts';
import { ensureSigningKey } from '../local/keys.ts';
import type { LocalRuntime } from '../local/runtime.ts';
import { idNumberCheckDigit } from '../shared/identifiers.ts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { hashPassword, hashSecret, SCRYPT_COST, verifyPassword } from '../functions/identity/passwords.ts';
import { identityPorts } from '../functions/identity/ports.ts';
import { dynamoIdentityStore } from '../functions/identity/store.ts';
import { registerAccount } from '../functions/identity/use-cases/accounts.ts';
import { authenticate } from '../functions/identity/use-cases/login.ts';
import { scratchDir } from '../local/scratch.ts';
import { type BenchRow, median, rate } from './table.ts';

export async function identityBench(runtime: LocalRuntime): Promise<BenchRow[]> {
  const dir = scratchDir('bench-identity');
  try {
    const keyFile = ensureSigningKey(join(dir, 'token.pem'));
    const signer = fileSigner(keyFile);
    const privateKey = createPrivateKey(readFileSync(keyFile));
    const publicKey = createPublicKey(privateKey);
    const jwk = await signer.publicJwk();
    const claims = {
      iss: 'https://issuer.example',
      sub: 'acc-1',
      aud: 'dgov-api',
      iat: 0,
      exp: 4_102_444_800,
      jti: 'j',
      scope: 'openid',
      client_id: 'c',
    };
    const payload = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhY2MtMSJ9');

    const issued = await rate(() => signJwt(signer, claims), 1500, 50);
    const rawSign = await rate(() => sign('sha256', payload, privateKey), 1500, 50);
    const token = await signJwt(signer, claims);
    const verifyToken = accessTokenVerifier({ issuer: claims.iss, audience: 'dgov-api', keys: async () => [jwk] });
    const verified = await rate(() => verifyToken(token), 1500, 50);
    const rawSignature = sign('sha256', payload, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const rawVerify = await rate(
      () => verify('sha256', payload, { key: publicKey, dsaEncoding: 'ieee-p1363' }, rawSignature),
      1500,
      50,
    );

    // Login timing: a wrong password and an unknown account must cost the same scrypt work.
    const store = dynamoIdentityStore(DynamoDBDocumentClient.from(runtime.clients.dynamodb), {
      identity: runtime.environment.tables.identityTable!,
      control: runtime.environment.tables.controlTable!,
    });
    const audit = async (input: AuditInput) => ({ ...input, eventId: 'e', time: '', region: '' });
    const deps = { ...identityPorts(store), audit, loginAttemptsPerMinute: 1_000_000 };
    const first17 = '37010219900115900';
    const idNumber = first17 + idNumberCheckDigit(first17);
    await registerAccount(
      { type: 'citizen', idNumber, name: '测试', phone: '13800000000', password: 'Bench-Password-123' },
      deps,
      { requestId: 'bench' },
    ).catch(() => undefined);
    const accountId = (await store.accountByIdentifier(idNumber))!.accountId;
    const unknownId = `${first17.slice(0, 14)}999X`;
    const attempt = async (username: string) => {
      const started = performance.now();
      await authenticate(username, 'wrong-password-000', { sourceIp: 'bench', requestId: 'bench' }, deps).catch(
        () => undefined,
      );
      const elapsed = performance.now() - started;
      // Keep both unlocked, so every attempt takes the full path.
      const now = Math.floor(Date.now() / 1000);
      await store.clearFailures(accountId, now, 900);
      await store.clearFailures(`unknown-${hashSecret(unknownId)}`, now, 900);
      return elapsed;
    };
    // The password check of a login at the earlier cost (N=2^15) and at the current one (N=2^17):
    // one hash and one verification each, as registration and sign-in do.
    const hashAndVerify = async (cost: { N: number; r: number; p: number }) => {
      const started = performance.now();
      await verifyPassword('Bench-Password-123', await hashPassword('Bench-Password-123', cost));
      return performance.now() - started;
    };
    const OLD_COST = { N: 2 ** 15, r: 8, p: 1 };
    const oldCost: number[] = [];
    const newCost: number[] = [];
    for (let i = 0; i < 7; i++) {
      oldCost.push(await hashAndVerify(OLD_COST));
      newCost.push(await hashAndVerify(SCRYPT_COST));
    }
    // A whole successful login (rate limit, lockout counter, password, clearing the counter) for an
    // account whose hash is at the earlier cost, and one at the current cost, taken in turns.
    const OLD_FIRST17 = '37010219900115901';
    const oldAccount = OLD_FIRST17 + idNumberCheckDigit(OLD_FIRST17);
    await registerAccount(
      { type: 'citizen', idNumber: oldAccount, name: '测试', phone: '13800000000', password: 'Bench-Password-123' },
      { ...deps, hashPassword: (password: string) => hashPassword(password, OLD_COST) },
      { requestId: 'bench' },
    ).catch(() => undefined);
    const login = async (username: string) => {
      const started = performance.now();
      await authenticate(username, 'Bench-Password-123', { sourceIp: 'bench', requestId: 'bench' }, deps);
      return performance.now() - started;
    };
    const oldLogin: number[] = [];
    const newLogin: number[] = [];
    for (let i = 0; i < 9; i++) {
      oldLogin.push(await login(oldAccount));
      newLogin.push(await login(idNumber));
    }
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 15; i++) {
      wrong.push(await attempt(idNumber));
      unknown.push(await attempt(unknownId));
    }
    const area = 'identity';
    const ms = 'ms';
    return [
      { area, measure: 'tokens issued (ES256 JWT through the signer port, key file)', value: issued, unit: '/s' },
      {
        area,
        measure: 'raw node:crypto ES256 signatures, same key',
        value: rawSign,
        unit: '/s',
        ratio: rawSign / issued,
        against: 'raw ÷ tokens issued',
      },
      {
        area,
        measure: 'tokens verified (shared verifier: decode, kid, signature, claims)',
        value: verified,
        unit: '/s',
      },
      {
        area,
        measure: 'raw node:crypto ES256 verifications, same key',
        value: rawVerify,
        unit: '/s',
        ratio: rawVerify / verified,
        against: 'raw ÷ tokens verified',
      },
      {
        area,
        measure: 'scrypt hash + verify at the earlier cost (N=2^15, r=8, p=1), median of 7',
        value: median(oldCost),
        unit: ms,
      },
      {
        area,
        measure: 'scrypt hash + verify at the current cost (N=2^17, r=8, p=1), median of 7',
        value: median(newCost),
        unit: ms,
        ratio: median(newCost) / median(oldCost),
        against: 'current ÷ earlier cost',
      },
      {
        area,
        measure: 'successful login, password hashed at the earlier cost (authenticate + DynamoDB Local), median of 9',
        value: median(oldLogin),
        unit: ms,
      },
      {
        area,
        measure: 'successful login, password hashed at the current cost, median of 9',
        value: median(newLogin),
        unit: ms,
        ratio: median(newLogin) / median(oldLogin),
        against: 'current ÷ earlier cost',
      },
      {
        area,
        measure: 'failed login, wrong password (scrypt N=2^17 + DynamoDB Local), median of 15',
        value: median(wrong),
        unit: ms,
      },
      {
        area,
        measure: 'failed login, unknown account (decoy scrypt), median of 15',
        value: median(unknown),
        unit: ms,
        ratio: median(unknown) / median(wrong),
        against: 'unknown ÷ wrong password (goal ≈ 1)',
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
