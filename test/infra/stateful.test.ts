import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossRegionNames } from '../../infra/regions.ts';
import { globalTablesOf } from '../../infra/replication.ts';
import { AUDIT_CONSUMER_TIMEOUT as MAX_CONSUMER_TIMEOUT } from '../../infra/capabilities/audit/data.ts';
import {
  followImport,
  getAttArn,
  logicalId,
  ourFunctions,
  resourcesOfType,
  synthesize,
  type CfnTemplate,
  type Json,
  type Synthesized,
  type SynthesizedRegion,
} from './synth.ts';
import { ControlData } from '../../infra/control-data.ts';
import { AuditData } from '../../infra/capabilities/audit/data.ts';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize();
});

afterAll(() => synth?.dispose());

const resource = (id: string) => {
  const found = synth.stateful$.Resources[id];
  if (!found) throw new Error(`no resource ${id} in the stateful stack`);
  return found;
};

describe('control table', () => {
  const table = () => resource(logicalId(synth.stateful.data.get(ControlData).table));

  it('is a global table keyed by pk (hash) and sk (range), both strings', () => {
    expect(table().Type).toBe('AWS::DynamoDB::GlobalTable');
    expect(table().Properties?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table().Properties?.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
    );
    expect(table().Properties?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('expires items by expiresAt', () => {
    expect(table().Properties?.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('has point-in-time recovery, 35 days, on its replicas in the primary and the replica region', () => {
    const replicas = table().Properties?.Replicas as Json[];
    const primary = replicas.find((replica) => replica.Region === synth.config.primaryRegion);
    expect(primary, 'replica in the primary region').toBeDefined();
    expect(
      replicas.find((replica) => replica.Region === synth.config.replicaRegion),
      'replica in the replica region',
    ).toBeDefined();
    for (const replica of replicas) {
      expect(replica.PointInTimeRecoverySpecification, String(replica.Region)).toEqual({
        PointInTimeRecoveryEnabled: true,
        RecoveryPeriodInDays: 35,
      });
    }
  });
});

describe('audit queue', () => {
  const queue = () => resource(logicalId(synth.stateful.data.get(AuditData).queue));
  const deadLetters = () => resource(logicalId(synth.stateful.data.get(AuditData).deadLetters));

  it('redrives to its dead-letter queue after 5 receives', () => {
    expect(queue().Properties?.RedrivePolicy).toEqual({
      deadLetterTargetArn: getAttArn(logicalId(synth.stateful.data.get(AuditData).deadLetters)),
      maxReceiveCount: 5,
    });
  });

  it('keeps dead letters 14 days, longer than the source queue keeps messages', () => {
    expect(deadLetters().Properties?.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    // A dead letter keeps its first enqueue time, so the DLQ must outlive the source queue.
    expect(queue().Properties?.MessageRetentionPeriod).toBeLessThan(14 * 24 * 3600);
  });

  it('encrypts both queues with SQS-managed keys and refuses plain HTTP', () => {
    for (const id of [
      logicalId(synth.stateful.data.get(AuditData).queue),
      logicalId(synth.stateful.data.get(AuditData).deadLetters),
    ]) {
      expect(resource(id).Properties?.SqsManagedSseEnabled, id).toBe(true);
      synth.statefulTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('hides a received message for at least 6× the longest timeout of any function consuming it', () => {
    const queueArn = getAttArn(logicalId(synth.stateful.data.get(AuditData).queue));
    const functions = ourFunctions(synth.stateless$);
    const consumerTimeouts = resourcesOfType(synth.stateless$, 'AWS::Lambda::EventSourceMapping')
      .map(([, mapping]) => mapping.Properties as Json)
      .filter(
        (mapping) => JSON.stringify(followImport(mapping.EventSourceArn, synth.stateful$)) === JSON.stringify(queueArn),
      )
      .map((mapping) => {
        const name = mapping.FunctionName as { Ref?: string };
        const fn = functions.find((candidate) => candidate.logicalId === name.Ref);
        expect(fn, `consumer ${JSON.stringify(name)}`).toBeDefined();
        return fn!.timeout;
      });
    const longest = consumerTimeouts.length > 0 ? Math.max(...consumerTimeouts) : MAX_CONSUMER_TIMEOUT.toSeconds();
    expect(longest).toBeLessThanOrEqual(MAX_CONSUMER_TIMEOUT.toSeconds());
    expect(queue().Properties?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * longest);
  });
});

describe('audit bucket', () => {
  const bucket = () => resource(logicalId(synth.stateful.data.get(AuditData).bucket));

  it('is versioned and encrypted', () => {
    expect(bucket().Properties?.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket().Properties?.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        expect.objectContaining({
          ServerSideEncryptionByDefault: expect.objectContaining({ SSEAlgorithm: expect.any(String) }),
        }),
      ],
    });
  });

  it('blocks every kind of public access', () => {
    expect(bucket().Properties?.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('denies requests over plain HTTP', () => {
    synth.statefulTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(synth.stateful.data.get(AuditData).bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('is retained when the stack is deleted, whatever the stage (it is the audit evidence)', () => {
    expect(bucket().DeletionPolicy).toBe('Retain');
    expect(bucket().UpdateReplacePolicy).toBe('Retain');
  });
});

describe('dev stage data lifetime', () => {
  it('lets a dev stack delete its table and queues, without deletion protection, in both regions', () => {
    const table = resource(logicalId(synth.stateful.data.get(ControlData).table));
    expect(synth.config.stage).toBe('dev');
    expect(table.DeletionPolicy).toBe('Delete');
    expect((table.Properties?.Replicas as Json[]).length).toBe(2);
    for (const replica of table.Properties?.Replicas as Json[]) expect(replica.DeletionProtectionEnabled).toBe(false);
    for (const region of synth.regions) {
      for (const queue of [
        region.stateful.data.get(AuditData).queue,
        region.stateful.data.get(AuditData).deadLetters,
      ]) {
        expect(region.stateful$.Resources[logicalId(queue)]!.DeletionPolicy, `${region.region} ${queue.node.id}`).toBe(
          'Delete',
        );
      }
    }
  });
});

describe('no hard-coded physical names', () => {
  const NAME_PROPERTIES = [
    'TableName',
    'QueueName',
    'BucketName',
    'FunctionName',
    'LogGroupName',
    'RoleName',
    'TopicName',
  ];
  const RESOURCE_NAMES: Record<string, string> = {
    'AWS::DynamoDB::GlobalTable': 'TableName',
    'AWS::DynamoDB::Table': 'TableName',
    'AWS::SQS::Queue': 'QueueName',
    'AWS::S3::Bucket': 'BucketName',
    'AWS::Lambda::Function': 'FunctionName',
  };

  /**
   * The only resources with a name of their own: those the other region addresses without a
   * cross-region reference (a global table's one name, the queue the other region fails over to,
   * the DR copy a replication rule writes into). Each must carry exactly the name
   * infra/regions.ts derives for it from the stage (and account and region for buckets).
   */
  const crossRegionNamed = (region: SynthesizedRegion): Map<string, unknown> => {
    const named = new Map<string, unknown>();
    if (region.role.primary)
      for (const { tableName, table } of globalTablesOf(region.stateful)) named.set(logicalId(table), tableName);
    named.set(
      logicalId(region.stateful.data.get(AuditData).queue),
      crossRegionNames.queue(synth.config.stage, 'audit'),
    );
    for (const [role, bucket] of Object.entries(region.base.drCopies)) {
      named.set(
        logicalId(bucket),
        region.base.resolve(crossRegionNames.drBucket(region.base, synth.config.stage, role, region.region)),
      );
    }
    return named;
  };

  const check = (template: CfnTemplate, allowed: Map<string, unknown>) => {
    const seen = new Set<string>();
    for (const [id, { Type, Properties = {} }] of Object.entries(template.Resources)) {
      // The resource's own name must be left to CloudFormation, unless the other region addresses it...
      const own = RESOURCE_NAMES[Type];
      if (own && allowed.has(id)) {
        expect(Properties[own], `${Type} ${id}.${own}`).toEqual(allowed.get(id));
        seen.add(id);
      } else if (own) expect(Properties, `${Type} ${id}`).not.toHaveProperty(own);
      // ...and a name elsewhere (a permission's FunctionName) must be a reference, never a literal.
      for (const key of NAME_PROPERTIES) {
        if (key in Properties && !(key === own && allowed.has(id)))
          expect(typeof Properties[key], `${Type} ${id}.${key}`).not.toBe('string');
      }
    }
    return seen;
  };

  it("leaves every name in the stateful stacks to CloudFormation, but the global tables' and the failover queue's derived names", () => {
    for (const region of synth.regions) {
      const allowed = crossRegionNamed(region);
      const seen = check(region.stateful$, allowed);
      expect([...seen].sort(), region.region).toEqual(
        [...allowed.keys()].filter((id) => id in region.stateful$.Resources).sort(),
      );
      // Each global table (declared in the primary region only) and the audit queue.
      const globalTables = Object.values(region.stateful$.Resources).filter(
        (r) => r.Type === 'AWS::DynamoDB::GlobalTable',
      );
      expect(seen.size, region.region).toBe(region.role.primary ? globalTables.length + 1 : 1);
    }
  });
  it('leaves every name in the stateless stacks to CloudFormation', () => {
    for (const region of synth.regions) check(region.stateless$, new Map());
  });
  it("leaves every name in the base stacks to CloudFormation, but the DR copies' derived names", () => {
    for (const region of synth.regions) {
      const seen = check(region.base$, crossRegionNamed(region));
      expect(seen.size, region.region).toBe(Object.keys(region.base.drCopies).length);
    }
  });
  it("derives each cross-region name from the stage, and each DR copy's from the account and its region too", () => {
    for (const region of synth.regions) {
      for (const name of crossRegionNamed(region).values()) {
        const text = JSON.stringify(name);
        expect(text).toContain(`dgov-${synth.config.stage}-`);
        if (text.includes('-dr-')) {
          expect(text).toContain('AWS::AccountId');
          expect(text).toContain(region.region);
        }
      }
    }
  });
});
