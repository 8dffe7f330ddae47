// Licence figures for `npm run bench`: through the local gateway, and SM2 beside node:crypto in the same run.
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sm2 as smV2 } from 'sm-crypto-v2';
import { createClient } from '../cli/identity/clients.ts';
import { dynamoIdentityStore } from '../functions/identity/store.ts';
import { sm2KeyPair, sm2PublicKey, sm2Sign, sm2Verify } from '../functions/licences/domain/sm2.ts';
import type { LocalRuntime } from '../local/runtime.ts';
import { licenceRequest } from './requests.ts';
import { type BenchRow, rate } from './table.ts';

/** Requests per second with `parallel` callers for about `ms` milliseconds. */
async function throughput(run: () => Promise<void>, parallel: number, ms = 5000): Promise<number> {
  // Warm as many sandboxes as there are callers: a cold start (bundle, first SM2 tables) is not throughput.
  // One call first: the gateway's authorizer fetches identity's keys once, before the burst.
  await run();
  for (let round = 0; round < 3; round++) await Promise.all(Array.from({ length: parallel }, run));
  let count = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() - started < ms) {
        await run();
        count += 1;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}
const ms = (perSecond: number) => 1000 / perSecond;

export async function licencesBench(runtime: LocalRuntime): Promise<BenchRow[]> {
  // SM2 (GB/T 32918) as the seal uses it, beside node:crypto ECDSA on the same curve (OpenSSL, native).
  const message = Buffer.from(
    JSON.stringify({ licenceId: 'L0000000000000000', data: { name: '营业执照', scope: 'x'.repeat(300) } }),
  );
  const pair = sm2KeyPair();
  const key = sm2PublicKey(pair.publicKey)!;
  const signature = sm2Sign(pair.privateKey, key, message);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'SM2' });
  const ecdsa = sign('sha256', message, privateKey);
  const oursSign = await rate(() => sm2Sign(pair.privateKey, key, message));
  const nativeSign = await rate(() => sign('sha256', message, privateKey));
  const oursVerify = await rate(() => sm2Verify(key, message, signature));
  const nativeVerify = await rate(() => verify('sha256', message, publicKey, ecdsa));
  const hex = signature.toString('hex');
  const libraryVerify = await rate(
    () => smV2.doVerifySignature(message, hex, pair.publicKey, { der: true, hash: true }),
    1500,
    5,
  );

  // Through the gateway: a department client issues, the public verifies.
  const store = dynamoIdentityStore(DynamoDBDocumentClient.from(runtime.clients.dynamodb), {
    identity: runtime.environment.tables.identityTable!,
    control: runtime.environment.tables.controlTable!,
  });
  const clientId = `bench-police-${Date.now()}`;
  const { client_secret } = await createClient(
    { clientId, kind: 'confidential', scopes: ['licences:issue'], redirectUris: [], department: 'dept-police' },
    store,
  );
  const tokenAnswer = await fetch(`${runtime.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${client_secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials&scope=licences%3Aissue',
  });
  const token = ((await tokenAnswer.json()) as { access_token: string }).access_token;
  let matter = 0;
  let last: { document: unknown; seal: unknown } | undefined;
  const issue = async () => {
    const response = await fetch(`${runtime.url}/licences`, licenceRequest(token, `bench-${clientId}-${matter++}`));
    const body = (await response.json()) as { document: unknown; seal: unknown };
    if (response.status !== 201) throw new Error(`POST /licences answered ${response.status}`);
    last = body;
  };
  const verifyOne = async () => {
    const response = await fetch(`${runtime.url}/licences/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(last),
    });
    const verdict = (await response.json()) as { valid: boolean };
    if (!verdict.valid) throw new Error('a licence just issued did not verify');
  };
  const issued = await throughput(issue, 4);
  const verified = await throughput(verifyOne, 4);

  const area = 'licences';
  const native = (ours: number, theirs: number) => ({ ratio: theirs / ours, against: 'ms ÷ native ms below' });
  return [
    {
      area,
      measure: 'licences issued through the gateway (4 callers; SM2 seal, S3 copy, DynamoDB transaction, audit)',
      value: issued,
      unit: '/s',
    },
    {
      area,
      measure: 'licences verified through the gateway (4 callers; POST /licences/verify of a document and seal)',
      value: verified,
      unit: '/s',
    },
    {
      area,
      measure: 'SM2-SM3 seal signature (sm-crypto-v2 with Z kept per key)',
      value: ms(oursSign),
      unit: 'ms',
      ...native(oursSign, nativeSign),
    },
    {
      area,
      measure: '↳ node:crypto ECDSA signature on the SM2 curve (native OpenSSL), same run',
      value: ms(nativeSign),
      unit: 'ms',
    },
    {
      area,
      measure: 'SM2-SM3 seal verification (fixed-window tables of G and the key, Z kept)',
      value: ms(oursVerify),
      unit: 'ms',
      ...native(oursVerify, nativeVerify),
    },
    {
      area,
      measure: '↳ node:crypto ECDSA verification on the SM2 curve (native OpenSSL), same run',
      value: ms(nativeVerify),
      unit: 'ms',
    },
    {
      area,
      measure: 'sm-crypto-v2 doVerifySignature as shipped (no precomputation), same run',
      value: ms(libraryVerify),
      unit: 'ms',
      ratio: nativeVerify / libraryVerify,
      against: 'ms ÷ native verification ms',
    },
  ];
}
