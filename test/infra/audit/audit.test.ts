import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { localAppContext } from '../../../local/keys.ts';
import { scratchDir } from '../../../local/scratch.ts';
import {
  followImports,
  getAttArn,
  logicalId,
  ourFunctions,
  resourcesOfType,
  rolePolicyStatements,
  synthesize,
  type Synthesized,
} from '../synth.ts';
import { AuditData } from '../../../infra/capabilities/audit/data.ts';
import { CLAIM_LEASE_MS, CLOCK_SKEW_MS } from '../../../functions/audit/write-batch.ts';

let cloud: Synthesized;
let local: Synthesized;
let localContext: Record<string, string>;
const keysDir = scratchDir('infra-audit-keys');

beforeAll(() => {
  cloud = synthesize({ auditRetentionDays: 400, auditPeriodMinutes: 15 });
  localContext = localAppContext(keysDir);
  local = synthesize(localContext);
});
afterAll(() => {
  cloud?.dispose();
  local?.dispose();
  rmSync(keysDir, { recursive: true, force: true });
});

describe('the audit bucket', () => {
  it('locks objects in compliance mode for the configured retention', () => {
    cloud.statefulTemplate.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('defaults to 180 days of retention', () => {
    local.statefulTemplate.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 180 } } },
    });
  });

  it('is encrypted with a customer-managed KMS key that rotates', () => {
    const key = logicalId(cloud.stateful.data.get(AuditData).bucket.encryptionKey as never);
    cloud.statefulTemplate.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: getAttArn(key) },
            BucketKeyEnabled: true,
          },
        ],
      },
    });
    cloud.statefulTemplate.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, KeySpec: Match.absent() });
  });
});

describe('who may change what in the audit bucket', () => {
  const s3Statements = (service: string) => {
    const fn = ourFunctions(cloud.stateless$).find((candidate) => candidate.service === service)!;
    return rolePolicyStatements(cloud.stateless$, fn)
      .map((statement) => ({
        actions: [statement.Action].flat() as string[],
        resource: JSON.stringify(statement.Resource),
      }))
      .filter((statement) => statement.actions.some((action) => action.startsWith('s3:')));
  };

  it('lets the writer put (and read back) only under events/', () => {
    const statements = s3Statements('audit-writer');
    expect(statements.flatMap((statement) => statement.actions).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    for (const statement of statements) expect(statement.resource).toMatch(/\/events\/\*/);
  });

  it('lets the seal put only under digests/, and read and list the trail', () => {
    const statements = s3Statements('audit-seal');
    const puts = statements.filter((statement) => statement.actions.includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    expect(puts[0]!.resource).toMatch(/\/digests\/\*/);
    expect(statements.flatMap((statement) => statement.actions).sort()).toEqual([
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
  });

  it('grants no function a delete, a retention change or a versioning change on the audit bucket', () => {
    const auditBucket = logicalId(cloud.stateful.data.get(AuditData).bucket);
    const templates = [cloud.base$, cloud.stateful$, cloud.stateless$];
    const onAudit = new Set<string>();
    for (const fn of ourFunctions(cloud.stateless$)) {
      for (const statement of rolePolicyStatements(cloud.stateless$, fn)) {
        const actions = [statement.Action].flat() as string[];
        const resources = JSON.stringify(followImports(statement.Resource, templates));
        // The audit bucket's objects, or any bucket's (a wildcard resource would include it).
        const audit = resources.includes(`"${auditBucket}"`) || /"\*"|:s3:::\*/.test(resources);
        if (audit && resources.includes(`"${auditBucket}"`)) onAudit.add(fn.service);
        // On the audit bucket nothing may delete or unlock what Object Lock keeps. (Other buckets have no
        // Object Lock: licences discards the copy of a lost race, payments' grant includes legal holds.)
        if (audit)
          for (const action of actions)
            expect(action, `${fn.service}: ${action} on the audit bucket`).not.toMatch(
              /^s3:(\*|Delete|PutObjectRetention|PutObjectLegalHold|PutBucketVersioning|PutBucketObjectLockConfiguration|Bypass)/,
            );
      }
    }
    // The writer's and the seal's grants on the audit bucket were among those checked.
    expect([...onAudit]).toEqual(expect.arrayContaining(['audit-writer', 'audit-seal']));
  });

  it('denies deletes, retention and versioning changes to everyone but the break-glass role (bucket policy)', () => {
    const role = cloud.stateful.data.get(AuditData).guard.breakGlassRole;
    const breakGlass = role.stack.getLogicalId(role.node.defaultChild as never);
    cloud.statefulTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'OnlyBreakGlassDeletesOrUnlocks',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: Match.arrayWith([
              's3:DeleteObject',
              's3:DeleteObjectVersion',
              's3:PutObjectRetention',
              's3:PutBucketVersioning',
              's3:PutBucketObjectLockConfiguration',
            ]),
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': getAttArn(breakGlass) } },
          }),
        ]),
      },
    });
    cloud.statefulTemplate.hasResourceProperties('AWS::IAM::Role', {
      RoleName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['dgov-dev-audit-break-glass-'])]) }),
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } })],
      }),
    });
  });
});

describe('the audit signing key', () => {
  it('is a KMS ECC_NIST_P256 signing key that only the seal function may use', () => {
    cloud.statefulTemplate.hasResourceProperties('AWS::KMS::Key', {
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
    });
    const signingKey = getAttArn(logicalId(cloud.stateful.data.get(AuditData).signingKey.key!));
    for (const fn of ourFunctions(cloud.stateless$)) {
      const actions = rolePolicyStatements(cloud.stateless$, fn)
        .filter(
          (statement) =>
            JSON.stringify(statement.Resource).includes(JSON.stringify(signingKey).slice(1, -1)) ||
            JSON.stringify(statement.Resource).includes('AuditSigningKey'),
        )
        .flatMap((statement) => statement.Action);
      if (fn.service === 'audit-seal') expect(actions.sort()).toEqual(['kms:GetPublicKey', 'kms:Sign']);
      else expect(actions, fn.service).toEqual([]);
    }
  });

  it('is a key file for the embedded runtime, with no KMS signing key in the template', () => {
    // What `npm start` synthesizes with (local/keys.ts): key files for every signer, audit's among them.
    expect(
      resourcesOfType(local.stateful$, 'AWS::KMS::Key').filter(([, key]) => key.Properties?.KeyUsage === 'SIGN_VERIFY'),
    ).toEqual([]);
    const seal = ourFunctions(local.stateless$).find((fn) => fn.service === 'audit-seal')!;
    expect(seal.variables.DGOV_AUDIT_KEY).toBe(localContext.auditKey);
    expect(seal.variables.DGOV_AUDIT_KEY).toMatch(/^file:\/.*audit-signing\.pem$/);
  });
});

describe('the audit functions', () => {
  it('feeds the writer from the audit queue in batches, reporting failed items', () => {
    cloud.statelessTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it("lets a writer's claim outlast the writer, and a redelivery come after the claim's lease", () => {
    const writer = ourFunctions(cloud.stateless$).find((f) => f.service === 'audit-writer')!;
    const [, mapping] = resourcesOfType(cloud.stateless$, 'AWS::Lambda::EventSourceMapping').find(([, resource]) =>
      JSON.stringify(resource.Properties!.FunctionName).includes(writer.logicalId),
    )!;
    // The queue's ARN comes from the stateful stack as an export named after the queue's logical id.
    const arn = JSON.stringify(mapping.Properties!.EventSourceArn);
    const [, queue] = Object.entries(cloud.statefulTemplate.findResources('AWS::SQS::Queue')).find(([id]) =>
      arn.includes(`GetAtt${id}Arn`),
    )!;
    expect(CLAIM_LEASE_MS).toBeGreaterThanOrEqual(2 * writer.timeout * 1000);
    expect(queue?.Properties.VisibilityTimeout * 1000).toBeGreaterThan(CLAIM_LEASE_MS + CLOCK_SKEW_MS);
    // A crashed writer's messages are taken over the first time they come back, whoever's clock is ahead.
    expect(queue?.Properties.VisibilityTimeout * 1000).toBeGreaterThan(writer.timeout * 1000 + 10_000 + CLOCK_SKEW_MS);
  });

  it('alarms on any failed seal (a chain it refuses to extend fails the invocation)', () => {
    cloud.statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmDescription: Match.stringLikeRegexp('^audit-seal \\(schedule\\) failed'),
    });
  });

  it('closes a period on the configured schedule', () => {
    cloud.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
    });
    local.statelessTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
  });
});

describe('Athena', () => {
  it('declares a Glue table over events/ with partition projection by hour', () => {
    cloud.statefulTemplate.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'dgov_dev_audit',
      TableInput: Match.objectLike({
        Name: 'audit_events',
        PartitionKeys: [{ Name: 'hour', Type: 'string' }],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.hour.type': 'date',
          'projection.hour.format': 'yyyy/MM/dd/HH',
          'storage.location.template': Match.objectLike({
            'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('events/\\$\\{hour\\}/$')])]),
          }),
        }),
        StorageDescriptor: Match.objectLike({
          SerdeInfo: Match.objectLike({ SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' }),
        }),
      }),
    });
  });
});

describe('stage config for audit', () => {
  it('refuses an audit key that is not a file reference', () => {
    expect(() => synthesize({ auditKey: 'alias/something' })).toThrow(/auditKey must be file:/);
  });

  it('refuses a retention that is not a positive whole number', () => {
    expect(() => synthesize({ auditRetentionDays: '0' })).toThrow(/auditRetentionDays must be a positive whole number/);
  });
});
