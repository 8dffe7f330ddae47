import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityRoutes } from '../../../functions/identity/contract.ts';
import { IDENTITY_ENV } from '../../../functions/identity/env.ts';
import {
  getAttArn,
  logicalId,
  ourFunctions,
  resourcesOfType,
  rolePolicyStatements,
  synthesize,
  type Synthesized,
} from '../synth.ts';
import { IdentityData } from '../../../infra/capabilities/identity/data.ts';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});
afterAll(() => synth?.dispose());

describe('identity infrastructure', () => {
  it('keeps accounts and sessions in a table whose items expire, with point-in-time recovery', () => {
    synth.statefulTemplate.hasResource('AWS::DynamoDB::GlobalTable', {
      Properties: Match.objectLike({ TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }),
    });
    expect(synth.stateful.data.get(IdentityData).table).toBeDefined();
  });

  it('signs tokens with a KMS P-256 key that only the identity function may use', () => {
    const key = JSON.stringify(getAttArn(logicalId(synth.stateful.data.get(IdentityData).tokenSigningKey.key!)));
    synth.statefulTemplate.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Signs access and ID tokens (ES256)',
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
    });
    for (const fn of ourFunctions(synth.stateless$)) {
      const actions = rolePolicyStatements(synth.stateless$, fn)
        .filter(
          (statement) =>
            JSON.stringify(statement.Resource).includes(
              logicalId(synth.stateful.data.get(IdentityData).tokenSigningKey.key!),
            ) || JSON.stringify(statement.Resource).includes(key),
        )
        .flatMap((statement) => statement.Action);
      if (fn.service === 'identity') expect(actions.sort()).toEqual(['kms:GetPublicKey', 'kms:Sign']);
      else expect(actions, fn.service).toEqual([]);
    }
  });

  // Only a test's local runtime lowers the cost (test/integration/identity/api.test.ts): unset, the
  // handler hashes at passwords.ts SCRYPT_COST, N=2^17 (test/unit/identity/passwords.test.ts).
  it('leaves DGOV_PASSWORD_SCRYPT_N unset in both regions, so passwords are hashed at N=2^17', () => {
    for (const region of synth.regions) {
      const identity = ourFunctions(region.stateless$).find((fn) => fn.service === 'identity');
      expect(identity, region.region).toBeDefined();
      expect(Object.keys(identity!.variables), region.region).not.toContain(IDENTITY_ENV.passwordScryptN);
    }
  });

  it('gives the identity function its issuer and keys, and puts the JWT authorizer only on userinfo', () => {
    const identity = ourFunctions(synth.stateless$).find((fn) => fn.service === 'identity')!;
    expect(Object.keys(identity.variables)).toEqual(
      expect.arrayContaining([
        'DGOV_ISSUER',
        'DGOV_TOKEN_KEYS',
        'DGOV_IDENTITY_TABLE',
        'DGOV_CONTROL_TABLE',
        'DGOV_AUDIT_QUEUE_URL',
      ]),
    );
    const protectedKeys = resourcesOfType(synth.stateless$, 'AWS::ApiGatewayV2::Route')
      .filter(([, route]) => route.Properties?.AuthorizationType === 'JWT')
      .map(([, route]) => route.Properties?.RouteKey);
    // Of the identity routes only userinfo; other capabilities' JWT routes are theirs.
    const identityKeys = new Set(identityRoutes.map((route) => `${route.method} ${route.path}`));
    expect(protectedKeys.filter((key) => identityKeys.has(String(key)))).toEqual(
      identityRoutes.filter((route) => route.auth === 'jwt').map((route) => `${route.method} ${route.path}`),
    );
    synth.statelessTemplate.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Audience: ['dgov-api'], Issuer: Match.anyValue() },
    });
  });
});
