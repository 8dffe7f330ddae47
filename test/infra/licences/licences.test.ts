import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { licencesRoutes } from '../../../functions/licences/contract.ts';
import { LicencesData } from '../../../infra/capabilities/licences/data.ts';
import {
  logicalId,
  ourFunctions,
  resourcesOfType,
  rolePolicyStatements,
  synthesize,
  type Synthesized,
} from '../synth.ts';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});
afterAll(() => synth?.dispose());

describe('licences infrastructure', () => {
  it('indexes licences in a global table by holder, type and issuer', () => {
    synth.statefulTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'dgov-dev-licences',
      GlobalSecondaryIndexes: ['byHolder', 'byType', 'byIssuer'].map((IndexName) => Match.objectLike({ IndexName })),
    });
  });

  it('keeps sealed documents in a versioned, KMS-encrypted bucket replicated to the other region', () => {
    const bucket = synth.stateful$.Resources[logicalId(synth.stateful.data.get(LicencesData).bucket)]!;
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      ReplicationConfiguration: {
        Rules: [expect.objectContaining({ Id: 'licences-to-cn-northwest-1', Status: 'Enabled' })],
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [expect.objectContaining({ BucketKeyEnabled: true })] },
    });
    expect(synth.baseTemplate.toJSON().Resources).toBeDefined();
  });

  it('seals with an SM2 KMS key in the China regions and a P-256 key, which only the licences function may use', () => {
    for (const KeySpec of ['SM2', 'ECC_NIST_P256'])
      synth.statefulTemplate.hasResourceProperties('AWS::KMS::Key', {
        KeySpec,
        KeyUsage: 'SIGN_VERIFY',
        MultiRegion: true,
        Description: Match.stringLikeRegexp('^Seals electronic licences'),
      });
    const keyIds = synth.stateful.data.get(LicencesData).sealKeys.map((key) => logicalId(key.key!));
    for (const fn of ourFunctions(synth.stateless$)) {
      const actions = rolePolicyStatements(synth.stateless$, fn)
        .filter((statement) => keyIds.some((id) => JSON.stringify(statement.Resource).includes(id)))
        .flatMap((statement) => statement.Action);
      if (fn.service === 'licences') expect([...new Set(actions)].sort()).toEqual(['kms:GetPublicKey', 'kms:Sign']);
      else expect(actions, fn.service).toEqual([]);
    }
    const licences = ourFunctions(synth.stateless$).find((fn) => fn.service === 'licences')!;
    expect(JSON.stringify(licences.variables.DGOV_LICENCE_SM2_SEAL_KEYS)).toContain('SealKeySm2');
    expect(JSON.stringify(licences.variables.DGOV_LICENCE_ES256_SEAL_KEYS)).toContain('SealKeyP256');
  });

  it('sends notifications to a queue with a dead-letter queue; routes as the contract says, scopes on issuing', () => {
    synth.statefulTemplate.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
      SqsManagedSseEnabled: true,
    });
    const licences = ourFunctions(synth.stateless$).find((fn) => fn.service === 'licences')!;
    expect(Object.keys(licences.variables)).toEqual(
      expect.arrayContaining([
        'DGOV_LICENCES_TABLE',
        'DGOV_LICENCES_BUCKET',
        'DGOV_LICENCE_NOTIFICATIONS_QUEUE_URL',
        'DGOV_LICENCE_SM2_SEAL_KEYS',
        'DGOV_LICENCE_ES256_SEAL_KEYS',
        'DGOV_LICENCE_TRUST_LIST',
        'DGOV_LICENCE_ISSUER_ID',
        'DGOV_LICENCES_PUBLIC_URL',
        'DGOV_AUDIT_QUEUE_URL',
      ]),
    );
    const routes = new Map(
      resourcesOfType(synth.stateless$, 'AWS::ApiGatewayV2::Route').map(([, route]) => [
        route.Properties?.RouteKey,
        route.Properties,
      ]),
    );
    for (const contract of licencesRoutes) {
      const route = routes.get(`${contract.method} ${contract.path}`);
      expect(route, contract.path).toBeDefined();
      expect(route?.AuthorizationType ?? 'NONE').toBe(contract.auth === 'jwt' ? 'JWT' : 'NONE');
    }
    expect(routes.get('POST /licences')?.AuthorizationScopes).toEqual(['licences:issue']);
  });
});

describe('stage config for licences', () => {
  it('takes seal key files only (a KMS key named there would have no grant)', () => {
    expect(() => synthesize({ licenceSealKeys: 'ES256:alias/dgov-dev-licence-seal' })).toThrow(
      /licenceSealKeys: .* must be <alg>:file:/,
    );
    expect(() => synthesize({ licenceSealKeys: 'RS256:file:/tmp/k.pem' })).toThrow(/names no seal algorithm/);
  });
});
