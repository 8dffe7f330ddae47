import { CfnReplicaKey } from 'aws-cdk-lib/aws-kms';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../functions/routes.ts';
import { ALARM_THRESHOLDS, SLA_BREACH_METRIC } from '../../infra/alarms.ts';
import { buildApp } from '../../infra/app.ts';
import { ACCESS_LOG_FORMAT, API_THROTTLE } from '../../infra/operations.ts';
import { crossRegionNames } from '../../infra/regions.ts';
import { replicatedBuckets } from '../../infra/capabilities/capability.ts';
import { capabilityInfra } from '../../infra/capabilities/index.ts';
import { globalTablesOf } from '../../infra/replication.ts';

const REPLICATED_BUCKETS = replicatedBuckets(capabilityInfra());
import { AUDIT_CONSUMER_TIMEOUT as MAX_CONSUMER_TIMEOUT } from '../../infra/capabilities/audit/data.ts';
import { routeKey } from '../../shared/route-contract.ts';
import { scratchDir } from '../../local/scratch.ts';
import {
  asArray,
  followImports,
  getAttArn,
  logicalId,
  ourFunctions,
  resourcesOfType,
  rolePolicyStatements,
  synthesize,
  type CfnResource,
  type CfnTemplate,
  type Json,
  type Synthesized,
  type SynthesizedRegion,
} from './synth.ts';
import { IdentityData } from '../../infra/capabilities/identity/data.ts';
import { ControlData } from '../../infra/control-data.ts';
import { AuditData } from '../../infra/capabilities/audit/data.ts';
import { LicencesData } from '../../infra/capabilities/licences/data.ts';

/**
 * Issue 5, "Done when": every property of the two-region build, asserted for both regions.
 * `dev` is the default stage without a domain; `prod` has a domain (Route 53) and an alarm e-mail.
 */
const DOMAIN = 'api.dgov.example.gov.cn';
const ZONE_ID = 'Z0123456789EXAMPLE';

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  dev = synthesize();
  prod = synthesize({ stage: 'prod', domain: DOMAIN, hostedZoneId: ZONE_ID, alarmEmail: 'ops@example.gov.cn' });
});
afterAll(() => {
  dev?.dispose();
  prod?.dispose();
});

const each = (run: (region: SynthesizedRegion, synth: Synthesized) => void) => {
  for (const synth of [dev, prod]) for (const region of synth.regions) run(region, synth);
};
const label = (region: SynthesizedRegion, synth: Synthesized) => `${synth.config.stage} ${region.region}`;
const templates = (region: SynthesizedRegion): CfnTemplate[] => [region.base$, region.stateful$, region.stateless$];
/** A value with every import replaced by what its exporter (same region) exports. */
const resolved = (region: SynthesizedRegion, value: unknown) => followImports(value, templates(region));
const one = (
  template: CfnTemplate,
  type: string,
  where: (resource: CfnResource) => boolean = () => true,
): [string, CfnResource] => {
  const found = resourcesOfType(template, type).filter(([, resource]) => where(resource));
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const peerOf = (synth: Synthesized, region: SynthesizedRegion) =>
  synth.regions.find((candidate) => candidate !== region)!;
/** A `Fn::Join` rendered as text with pseudo parameters named, to compare ARNs and names built in different stacks. */
const text = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v && 'Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(text).join(separator);
  }
  if (v && 'Ref' in v) return `\${${String(v.Ref)}}`;
  return JSON.stringify(value);
};

/** How a template spells the multi-Region data key's id (the same id in both regions). */
const keyIdText = (region: SynthesizedRegion): string => {
  const resource = region.base.dataKey.resource;
  return resource instanceof CfnReplicaKey
    ? JSON.stringify({ 'Fn::GetAtt': [region.base.getLogicalId(resource), 'KeyId'] })
    : `\${${logicalId(resource)}}`;
};

describe('stage config for two regions', () => {
  const dirs: string[] = [];
  const attempt = (context: Json) => () => {
    const outdir = scratchDir('infra-bad-pair');
    dirs.push(outdir);
    return buildApp({ outdir, context, builtinCloudFormationValidation: false });
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a pair of regions in two partitions (no global table, replication or multi-Region key spans them)', () => {
    expect(attempt({ primaryRegion: 'cn-north-1', replicaRegion: 'eu-west-1' })).toThrow(/different partitions/);
  });

  it('needs the hosted zone with a domain, and a domain with a hosted zone', () => {
    expect(attempt({ domain: DOMAIN })).toThrow(/hostedZoneId/);
    expect(attempt({ hostedZoneId: ZONE_ID })).toThrow(/domain/);
  });

  it('declares the deploy order as stack dependencies: bases, then statefuls (primary first), then stateless', () => {
    for (const synth of [dev, prod]) {
      const stage = synth.config.stage;
      const [p, r] = [synth.config.primaryRegion, synth.config.replicaRegion];
      const deps = (layer: string, region: string) =>
        synth.assembly
          .getStackByName(`dgov-${stage}-${layer}-${region}`)
          .dependencies.map((dependency) => dependency.id)
          .filter((id) => id.startsWith('dgov-') && !id.endsWith('.assets'))
          .sort();
      expect(deps('base', p)).toEqual([]);
      expect(deps('base', r)).toEqual([`dgov-${stage}-base-${p}`]);
      expect(deps('stateful', p)).toEqual([`dgov-${stage}-base-${p}`, `dgov-${stage}-base-${r}`]);
      expect(deps('stateful', r)).toEqual([
        `dgov-${stage}-base-${p}`,
        `dgov-${stage}-base-${r}`,
        `dgov-${stage}-stateful-${p}`,
      ]);
      for (const region of [p, r])
        expect(deps('stateless', region)).toEqual(
          expect.arrayContaining([`dgov-${stage}-stateful-${p}`, `dgov-${stage}-stateful-${r}`]),
        );
    }
  });
});

describe('customer-managed multi-Region keys', () => {
  it('makes every key of the primary region multi-Region (the per-region operations key aside), with a replica of the same alias in the other region', () => {
    for (const synth of [dev, prod]) {
      const [primary, replica] = synth.regions as [SynthesizedRegion, SynthesizedRegion];
      for (const layer of ['base$', 'stateful$'] as const) {
        const keys = resourcesOfType(primary[layer], 'AWS::KMS::Key').filter(([id]) => !id.startsWith('OpsKey'));
        expect(keys.length, `${synth.config.stage} ${layer}`).toBeGreaterThan(0);
        const aliasOf = (template: CfnTemplate, keyId: string) =>
          resourcesOfType(template, 'AWS::KMS::Alias').find(([, alias]) =>
            JSON.stringify(alias.Properties?.TargetKeyId).includes(`"${keyId}"`),
          )?.[1].Properties?.AliasName;
        for (const [id, key] of keys) {
          expect(key.Properties?.MultiRegion, id).toBe(true);
          expect(key.DeletionPolicy, id).toBe('Retain');
          if (!key.Properties?.KeySpec) expect(key.Properties?.EnableKeyRotation, `${id} rotates`).toBe(true);
          const alias = aliasOf(primary[layer], id);
          expect(alias, `${id} alias`).toMatch(new RegExp(`^alias/dgov-${synth.config.stage}-`));
          // The replica region: a ReplicaKey whose primary is found by that alias in the primary region.
          const replicaKeys = resourcesOfType(replica[layer], 'AWS::KMS::ReplicaKey').filter(
            ([replicaId]) => aliasOf(replica[layer], replicaId) === alias,
          );
          expect(replicaKeys, `${id} replica`).toHaveLength(1);
          const [replicaId, replicaKey] = replicaKeys[0]!;
          expect(replicaKey.DeletionPolicy, replicaId).toBe('Retain');
          const lookupId = (replicaKey.Properties?.PrimaryKeyArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
          expect(lookupId[1]).toBe('KeyMetadata.Arn');
          const lookup = replica[layer].Resources[lookupId[0]]!;
          expect(lookup.Type).toBe('Custom::MultiRegionKeyPrimary');
          expect(JSON.parse(String(lookup.Properties?.Create))).toMatchObject({
            service: 'KMS',
            action: 'DescribeKey',
            parameters: { KeyId: alias },
            region: synth.config.primaryRegion,
          });
        }
      }
    }
  });

  it('signs tokens and audit digests with multi-Region ECC P-256 keys, so one JWKS and one trusted key serve both regions; licence seals with multi-Region SM2 (China regions) and P-256 keys', () => {
    each((region, synth) => {
      const ids = [
        region.stateful.data.get(IdentityData).tokenSigningKey.key,
        region.stateful.data.get(AuditData).signingKey.key,
      ].map((key) => key!.node.id);
      expect(ids.sort(), label(region, synth)).toEqual(
        region.role.primary ? ['SigningKey', 'TokenSigningKey'] : ['SigningKeyReplica', 'TokenSigningKeyReplica'],
      );
      // The replica region seals with replicas of the primary's seal keys, the same algorithms.
      const seals = region.stateful.data.get(LicencesData).sealKeys;
      expect(seals.map((seal) => `${seal.alg} ${seal.key!.node.id}`).sort(), label(region, synth)).toEqual(
        (region.region.startsWith('cn-') ? ['ES256 SealKeyP256', 'SM2-SM3 SealKeySm2'] : ['ES256 SealKeyP256']).map(
          (name) => (region.role.primary ? name : `${name}Replica`),
        ),
      );
    });
    for (const synth of [dev, prod]) {
      const signing = resourcesOfType(synth.stateful$, 'AWS::KMS::Key').filter(
        ([, key]) => key.Properties?.KeyUsage === 'SIGN_VERIFY',
      );
      const p256 = [
        synth.stateful.data.get(AuditData).signingKey.key,
        synth.stateful.data.get(IdentityData).tokenSigningKey.key,
        ...synth.stateful.data
          .get(LicencesData)
          .sealKeys.filter((seal) => seal.alg === 'ES256')
          .map((seal) => seal.key),
      ].map((key) => logicalId(key as never));
      const sm2 = synth.stateful.data
        .get(LicencesData)
        .sealKeys.filter((seal) => seal.alg === 'SM2-SM3')
        .map((seal) => logicalId(seal.key as never));
      // Every signing key of the template is one of these: a new one has to be added here, with its spec.
      expect(signing.map(([id]) => id).sort(), synth.config.stage).toEqual([...p256, ...sm2].sort());
      for (const [id, key] of signing)
        expect(key.Properties, id).toMatchObject({
          KeySpec: sm2.includes(id) ? 'SM2' : 'ECC_NIST_P256',
          MultiRegion: true,
        });
    }
  });
});

describe('global tables', () => {
  it('declares every table once, in the primary region, with a replica in each region: PITR 35 days, the data key of that region', () => {
    for (const synth of [dev, prod]) {
      const [primary, replica] = synth.regions as [SynthesizedRegion, SynthesizedRegion];
      const tables = resourcesOfType(primary.stateful$, 'AWS::DynamoDB::GlobalTable');
      expect(tables.map(([, table]) => table.Properties?.TableName).sort()).toEqual(
        globalTablesOf(primary.stateful)
          .map((table) => table.tableName)
          .sort(),
      );
      expect(tables.length).toBeGreaterThanOrEqual(2);
      const dataKeyId = logicalId(primary.base.dataKey.resource as never);
      for (const [id, table] of tables) {
        const replicas = table.Properties?.Replicas as Json[];
        expect(replicas.map((r) => r.Region).sort(), id).toEqual([primary.region, replica.region].sort());
        expect(table.Properties?.SSESpecification, id).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
        expect(table.Properties?.StreamSpecification, id).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
        for (const r of replicas) {
          expect(r.PointInTimeRecoverySpecification, `${id} ${r.Region}`).toEqual({
            PointInTimeRecoveryEnabled: true,
            RecoveryPeriodInDays: 35,
          });
          expect(r.DeletionProtectionEnabled, `${id} ${r.Region}`).toBe(synth.config.stage === 'prod');
          const key = resolved(
            primary,
            (r.SSESpecification as Json).KMSMasterKeyID ?? (r.SSESpecification as Json).KMSMasterKeyId,
          );
          if (r.Region === primary.region) expect(key, id).toEqual(getAttArn(dataKeyId));
          else
            expect(text(key), id).toBe(
              `arn:\${AWS::Partition}:kms:${replica.region}:\${AWS::AccountId}:key/\${${dataKeyId}}`,
            );
        }
        expect(table.DeletionPolicy, id).toBe(synth.config.stage === 'prod' ? 'Retain' : 'Delete');
      }
      // No region declares a table of its own: the replica region only names the global ones.
      for (const region of synth.regions) {
        for (const template of templates(region)) expect(resourcesOfType(template, 'AWS::DynamoDB::Table')).toEqual([]);
        for (const template of [region.base$, region.stateless$])
          expect(resourcesOfType(template, 'AWS::DynamoDB::GlobalTable')).toEqual([]);
      }
      expect(resourcesOfType(replica.stateful$, 'AWS::DynamoDB::GlobalTable')).toEqual([]);
    }
  });

  it("gives the replica region's functions the same table names, and grants on the replica in their region", () => {
    each((region, synth) => {
      const tables = new Set(globalTablesOf(synth.regions[0]!.stateful).map((table) => table.tableName));
      for (const fn of ourFunctions(region.stateless$).filter(
        (candidate) => 'DGOV_CONTROL_TABLE' in candidate.variables,
      )) {
        const name = resolved(region, fn.variables.DGOV_CONTROL_TABLE);
        if (region.role.primary)
          expect(name, fn.service).toEqual({ Ref: logicalId(region.stateful.data.get(ControlData).table) });
        else {
          expect(tables.has(String(name)), `${fn.service}: ${String(name)}`).toBe(true);
          const arns = rolePolicyStatements(region.stateless$, fn).flatMap((statement) => statement.Resource.map(text));
          expect(arns, `${label(region, synth)} ${fn.service}`).toContain(
            `arn:\${AWS::Partition}:dynamodb:${region.region}:\${AWS::AccountId}:table/${String(name)}`,
          );
        }
      }
    });
  });
});

describe('buckets, in both regions', () => {
  const buckets = (region: SynthesizedRegion) =>
    templates(region).flatMap((template) =>
      resourcesOfType(template, 'AWS::S3::Bucket').map(([id, bucket]) => ({ id, bucket, template })),
    );

  it('versions every bucket, blocks public access, refuses plain HTTP and encrypts with KMS (SSE-S3 only for the access logs)', () => {
    each((region, synth) => {
      const all = buckets(region);
      expect(all.length).toBeGreaterThanOrEqual(3);
      for (const { id, bucket, template } of all) {
        const where = `${label(region, synth)} ${id}`;
        expect(bucket.Properties?.VersioningConfiguration, where).toEqual({ Status: 'Enabled' });
        expect(bucket.Properties?.PublicAccessBlockConfiguration, where).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        const algorithm = (
          bucket.Properties?.BucketEncryption as {
            ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: Json }[];
          }
        ).ServerSideEncryptionConfiguration[0]!.ServerSideEncryptionByDefault;
        if (id.startsWith('AccessLogs')) expect(algorithm, where).toEqual({ SSEAlgorithm: 'AES256' });
        else expect(algorithm, where).toMatchObject({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: expect.anything() });
        const policies = resourcesOfType(template, 'AWS::S3::BucketPolicy').filter(
          ([, policy]) => JSON.stringify(policy.Properties?.Bucket) === JSON.stringify({ Ref: id }),
        );
        expect(policies, where).toHaveLength(1);
        const statements = (policies[0]![1].Properties!.PolicyDocument as { Statement: Json[] }).Statement;
        expect(statements, where).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
      }
    });
  });

  it("logs access to every bucket into the region's access-log bucket", () => {
    each((region, synth) => {
      const logsId = logicalId(region.base.accessLogs);
      for (const { id, bucket } of buckets(region)) {
        if (id === logsId) continue;
        expect(
          resolved(region, (bucket.Properties?.LoggingConfiguration as Json | undefined)?.DestinationBucketName),
          `${label(region, synth)} ${id}`,
        ).toEqual({ Ref: logsId });
      }
    });
  });

  it('replicates each stateful bucket to its DR copy in the other region with RTC (15 minutes), metrics, the data key there, and no delete markers', () => {
    each((region, synth) => {
      const peer = peerOf(synth, region);
      const sources = resourcesOfType(region.stateful$, 'AWS::S3::Bucket');
      expect(sources.length).toBe(Object.keys(REPLICATED_BUCKETS).length);
      for (const [id, bucket] of sources) {
        const where = `${label(region, synth)} ${id}`;
        const config = bucket.Properties?.ReplicationConfiguration as { Role: unknown; Rules: Json[] };
        expect(config?.Rules, where).toHaveLength(1);
        const rule = config.Rules[0]!;
        const role = (rule.Id as string).replace(/-to-.*$/, '') as string;
        expect(rule, where).toMatchObject({
          Id: `${role}-to-${peer.region}`,
          Status: 'Enabled',
          DeleteMarkerReplication: { Status: 'Disabled' },
          SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
          Destination: {
            ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
            Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
          },
        });
        // The destination is the DR copy the other region's base stack declares, by its derived name.
        const drCopy = peer.base$.Resources[logicalId(peer.base.drCopies[role]!)]!;
        expect(text((rule.Destination as Json).Bucket), where).toBe(
          `arn:\${AWS::Partition}:s3:::${text(drCopy.Properties?.BucketName)}`,
        );
        expect(text(drCopy.Properties?.BucketName)).toContain(peer.region);
        expect(drCopy.Properties?.ObjectLockEnabled, where).toBe(
          REPLICATED_BUCKETS[role]!.objectLock ? true : undefined,
        );
        expect(drCopy.Properties?.VersioningConfiguration).toEqual({ Status: 'Enabled' });
        // Re-encrypted with the other region's copy of the multi-Region data key (same key id).
        const keyArn = text(
          resolved(region, ((rule.Destination as Json).EncryptionConfiguration as Json).ReplicaKmsKeyID),
        );
        expect(keyArn, where).toBe(
          `arn:\${AWS::Partition}:kms:${peer.region}:\${AWS::AccountId}:key/${keyIdText(region)}`,
        );
        // The replication role reads this bucket and writes replicas into the DR copy, nothing else.
        const roleId = (config.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
        const statements = resourcesOfType(region.stateful$, 'AWS::IAM::Policy')
          .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
          .flatMap(([, policy]) => (policy.Properties!.PolicyDocument as { Statement: Json[] }).Statement);
        const actionsOn = (resource: string) =>
          statements
            .filter((statement) => asArray(statement.Resource).map(text).includes(resource))
            .flatMap((statement) => asArray(statement.Action as string[]));
        expect(actionsOn(`arn:\${AWS::Partition}:s3:::${text(drCopy.Properties?.BucketName)}/*`).sort(), where).toEqual(
          ['s3:ReplicateDelete', 's3:ReplicateObject', 's3:ReplicateTags'],
        );
        expect(
          statements.flatMap((statement) => asArray(statement.Action as string[])),
          where,
        ).toEqual(
          expect.arrayContaining([
            's3:GetObjectVersionForReplication',
            's3:GetObjectRetention',
            's3:GetObjectLegalHold',
            'kms:Decrypt',
            'kms:Encrypt',
          ]),
        );
      }
    });
  });
});

describe('queues, in both regions', () => {
  it('encrypts every queue, gives each a DLQ (5 receives, 14 days) and hides messages 6× the longest consumer timeout', () => {
    each((region, synth) => {
      const queues = resourcesOfType(region.stateful$, 'AWS::SQS::Queue');
      const deadLetterIds = new Set(
        queues.flatMap(([, queue]) =>
          queue.Properties?.RedrivePolicy
            ? [
                ((queue.Properties.RedrivePolicy as Json).deadLetterTargetArn as { 'Fn::GetAtt': [string] })[
                  'Fn::GetAtt'
                ][0],
              ]
            : [],
        ),
      );
      expect(deadLetterIds.size).toBeGreaterThan(0);
      const functions = ourFunctions(region.stateless$);
      for (const [id, queue] of queues) {
        const where = `${label(region, synth)} ${id}`;
        expect(
          queue.Properties?.SqsManagedSseEnabled === true || queue.Properties?.KmsMasterKeyId !== undefined,
          `${where} encrypted`,
        ).toBe(true);
        if (deadLetterIds.has(id)) {
          expect(queue.Properties?.MessageRetentionPeriod, where).toBe(14 * 24 * 3600);
          continue;
        }
        expect((queue.Properties?.RedrivePolicy as Json | undefined)?.maxReceiveCount, where).toBe(5);
        const consumers = resourcesOfType(region.stateless$, 'AWS::Lambda::EventSourceMapping')
          .filter(
            ([, mapping]) =>
              JSON.stringify(resolved(region, mapping.Properties?.EventSourceArn)) === JSON.stringify(getAttArn(id)),
          )
          .map(
            ([, mapping]) =>
              functions.find((fn) => fn.logicalId === (mapping.Properties?.FunctionName as { Ref: string }).Ref)!
                .timeout,
          );
        const longest = Math.max(MAX_CONSUMER_TIMEOUT.toSeconds(), ...consumers);
        expect(queue.Properties?.VisibilityTimeout, where).toBeGreaterThanOrEqual(6 * longest);
      }
    });
  });
});

describe('stateless, active-active', () => {
  it('runs every function, route and authorizer in both regions alike', () => {
    for (const synth of [dev, prod]) {
      const [p, r] = synth.regions.map((region) => ({
        functions: ourFunctions(region.stateless$)
          .map((fn) => fn.service)
          .sort(),
        routes: resourcesOfType(region.stateless$, 'AWS::ApiGatewayV2::Route')
          .map(([, route]) => `${String(route.Properties?.RouteKey)} ${String(route.Properties?.AuthorizationType)}`)
          .sort(),
      })) as [{ functions: string[]; routes: string[] }, { functions: string[]; routes: string[] }];
      expect(r).toEqual(p);
      expect(p.functions).toEqual(Object.keys(synth.stateless.functions).sort());
      // Every contract route, the fallback's $default, and the CORS preflight the fallback answers
      // (shared/cors.ts: no authorizer, a preflight never carries a token): nothing else.
      expect(p.routes).toEqual(
        [
          ...allRoutes.map((route) => `${routeKey(route)} ${route.auth === 'jwt' ? 'JWT' : 'NONE'}`),
          '$default NONE',
          'OPTIONS /{proxy+} NONE',
        ].sort(),
      );
    }
  });

  it("trusts one issuer per stage in the JWT authorizer: the region's own API without a domain, https://<domain> with one", () => {
    each((region, synth) => {
      const [, authorizer] = one(region.stateless$, 'AWS::ApiGatewayV2::Authorizer');
      expect(authorizer.Properties?.AuthorizerType).toBe('JWT');
      const issuer = (authorizer.Properties?.JwtConfiguration as Json).Issuer;
      if (synth.config.domain) expect(issuer, label(region, synth)).toBe(`https://${DOMAIN}`);
      else
        expect(issuer, label(region, synth)).toEqual({
          'Fn::GetAtt': [logicalId(region.stateless.http.api), 'ApiEndpoint'],
        });
      expect((authorizer.Properties?.JwtConfiguration as Json).Audience).toEqual(['dgov-api']);
    });
  });

  it('throttles the $default stage and writes JSON access logs to a KMS-encrypted log group', () => {
    each((region, synth) => {
      const [, stage] = one(region.stateless$, 'AWS::ApiGatewayV2::Stage');
      expect(stage.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: API_THROTTLE.rateLimit,
          ThrottlingBurstLimit: API_THROTTLE.burstLimit,
        },
        AccessLogSettings: { Format: ACCESS_LOG_FORMAT },
      });
      expect(JSON.parse(ACCESS_LOG_FORMAT)).toMatchObject({
        requestId: '$context.requestId',
        status: '$context.status',
        routeKey: '$context.routeKey',
      });
      const groupId = (
        (stage.Properties?.AccessLogSettings as Json).DestinationArn as { 'Fn::GetAtt': [string, string] }
      )['Fn::GetAtt'][0];
      expect(region.stateless$.Resources[groupId]?.Type, label(region, synth)).toBe('AWS::Logs::LogGroup');
    });
  });

  it("encrypts every log group with the region's operations key", () => {
    each((region, synth) => {
      const groups = resourcesOfType(region.stateless$, 'AWS::Logs::LogGroup');
      expect(groups.length).toBe(ourFunctions(region.stateless$).length + 1);
      for (const [id, group] of groups)
        expect(resolved(region, group.Properties?.KmsKeyId), `${label(region, synth)} ${id}`).toEqual(
          getAttArn(logicalId(region.base.opsKey)),
        );
    });
  });

  it('alarms on 5xx, every DLQ above 0, SLA breaches and replication latency (S3 and each global table), all to the encrypted alarm topic', () => {
    each((region, synth) => {
      const where = label(region, synth);
      const peer = peerOf(synth, region);
      const [topicId, topic] = one(region.stateless$, 'AWS::SNS::Topic');
      expect(resolved(region, topic.Properties?.KmsMasterKeyId), where).toEqual(
        getAttArn(logicalId(region.base.opsKey)),
      );
      const alarms = resourcesOfType(region.stateless$, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties!);
      for (const alarm of alarms) {
        expect(alarm.AlarmActions, where).toEqual([{ Ref: topicId }]);
        expect(alarm.OKActions, where).toEqual([{ Ref: topicId }]);
      }
      const dimension = (alarm: Json, name: string) =>
        resolved(region, (alarm.Dimensions as { Name: string; Value: unknown }[]).find((d) => d.Name === name)?.Value);
      const find = (namespace: string, metric: string) =>
        alarms.filter((alarm) => alarm.Namespace === namespace && alarm.MetricName === metric);

      const api5xx = find('AWS/ApiGateway', '5xx');
      expect(api5xx, where).toHaveLength(1);
      expect(dimension(api5xx[0]!, 'ApiId')).toEqual({ Ref: logicalId(region.stateless.http.api) });
      expect(api5xx[0]).toMatchObject({ Statistic: 'Sum', Threshold: ALARM_THRESHOLDS.api5xxPer5Minutes, Period: 300 });

      const dlq = find('AWS/SQS', 'ApproximateNumberOfMessagesVisible');
      // One alarm per dead-letter queue of the stateful stack (the audit queue's, and any capability's).
      const deadLetterIds = resourcesOfType(region.stateful$, 'AWS::SQS::Queue').flatMap(([, queue]) =>
        queue.Properties?.RedrivePolicy
          ? [
              ((queue.Properties.RedrivePolicy as Json).deadLetterTargetArn as { 'Fn::GetAtt': [string] })[
                'Fn::GetAtt'
              ][0],
            ]
          : [],
      );
      expect(deadLetterIds, where).toContain(logicalId(region.stateful.data.get(AuditData).deadLetters));
      expect(
        dlq.map((alarm) => dimension(alarm, 'QueueName')),
        where,
      ).toEqual(expect.arrayContaining(deadLetterIds.map((id) => ({ 'Fn::GetAtt': [id, 'QueueName'] }))));
      expect(dlq, where).toHaveLength(deadLetterIds.length);
      expect(dlq[0]).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });

      // One SLA alarm per function that publishes breaches (the hotline sweeper), none for the others.
      expect(
        find('dgov', SLA_BREACH_METRIC)
          .map((alarm) => dimension(alarm, 'service'))
          .sort(),
        where,
      ).toEqual(
        Object.values(region.stateless.functions)
          .filter((fn) => fn.publishesSlaBreaches)
          .map((fn) => fn.serviceName)
          .sort(),
      );
      expect(
        Object.values(region.stateless.functions)
          .filter((fn) => fn.publishesSlaBreaches)
          .map((fn) => fn.serviceName),
      ).toContain('hotline-sweeper');
      // The queue consumer and the schedule fail with nobody to answer: each has an errors alarm.
      const errors = find('AWS/Lambda', 'Errors');
      const services = Object.values(region.stateless.functions).filter((fn) => fn.kind !== 'http');
      expect(errors.map((alarm) => JSON.stringify(dimension(alarm, 'FunctionName'))).sort(), where).toEqual(
        services.map((fn) => JSON.stringify({ Ref: logicalId(fn.fn) })).sort(),
      );
      expect(services.map((fn) => fn.serviceName)).toEqual(expect.arrayContaining(['audit-seal', 'audit-writer']));

      const s3Latency = find('AWS/S3', 'ReplicationLatency');
      expect(
        s3Latency.map((alarm) => dimension(alarm, 'RuleId')),
        where,
      ).toEqual(Object.keys(REPLICATED_BUCKETS).map((role) => `${role}-to-${peer.region}`));
      expect(dimension(s3Latency[0]!, 'SourceBucket')).toEqual({
        Ref: logicalId(region.stateful.data.get(AuditData).bucket),
      });
      expect(s3Latency[0]).toMatchObject({
        Threshold: ALARM_THRESHOLDS.s3ReplicationLatencySeconds,
        Statistic: 'Maximum',
      });
      expect(find('AWS/S3', 'OperationsFailedReplication').map((alarm) => dimension(alarm, 'RuleId'))).toEqual(
        Object.keys(REPLICATED_BUCKETS).map((role) => `${role}-to-${peer.region}`),
      );

      const tableLatency = find('AWS/DynamoDB', 'ReplicationLatency');
      expect(tableLatency.map((alarm) => dimension(alarm, 'TableName')).sort(), where).toEqual(
        globalTablesOf(synth.regions[0]!.stateful)
          .map((table) => table.tableName)
          .sort(),
      );
      for (const alarm of tableLatency) expect(dimension(alarm, 'ReceivingRegion')).toBe(peer.region);

      const subscriptions = resourcesOfType(region.stateless$, 'AWS::SNS::Subscription');
      expect(
        subscriptions.map(([, s]) => s.Properties?.Endpoint),
        where,
      ).toEqual(synth.config.alarmEmail ? [synth.config.alarmEmail] : []);
    });
  });

  it("outputs each region's API URL", () => {
    each((region, synth) => {
      expect(region.stateless$.Outputs?.ApiUrl?.Value, label(region, synth)).toEqual({
        'Fn::GetAtt': [logicalId(region.stateless.http.api), 'ApiEndpoint'],
      });
      expect(region.stateless$.Outputs?.Region?.Value).toBe(region.region);
    });
  });
});

describe('failover wiring', () => {
  it('tells every function that writes a global table where the other region is, and grants it the same access there', () => {
    each((region, synth) => {
      const peer = peerOf(synth, region);
      const tableNames = new Set(globalTablesOf(synth.regions[0]!.stateful).map((table) => table.tableName));
      /** The global table a variable names (a Ref to it at home in the primary region, its name in the replica region). */
      const globalTableOf = (value: unknown): { name: string; homeArn: string } | undefined => {
        const v = resolved(region, value);
        const ref = typeof v === 'object' && v !== null && 'Ref' in v ? String((v as Json).Ref) : undefined;
        const name = ref ? region.stateful$.Resources[ref]?.Properties?.TableName : v;
        if (typeof name !== 'string' || !tableNames.has(name)) return undefined;
        return {
          name,
          homeArn: ref
            ? text(getAttArn(ref))
            : `arn:\${AWS::Partition}:dynamodb:${region.region}:\${AWS::AccountId}:table/${name}`,
        };
      };
      const checked = new Set<string>();
      for (const fn of ourFunctions(region.stateless$)) {
        const where = `${label(region, synth)} ${fn.service}`;
        const statements = rolePolicyStatements(region.stateless$, fn);
        const actionsOn = (arn: string) =>
          new Set(
            statements
              .filter((statement) =>
                statement.Resource.map((resource) => text(resolved(region, resource))).includes(arn),
              )
              .flatMap((statement) => statement.Action),
          );
        const tables = Object.values(fn.variables).flatMap((value) => globalTableOf(value) ?? []);
        const writes = tables.some((table) => actionsOn(table.homeArn).has('dynamodb:PutItem'));
        if (!writes) {
          // Reading alone (the fallback's CORS origins, /health) keeps a function in its region.
          expect(fn.variables.DGOV_PEER_REGION, `${where}: home only`).toBeUndefined();
          for (const table of tables)
            expect(
              actionsOn(`arn:\${AWS::Partition}:dynamodb:${peer.region}:\${AWS::AccountId}:table/${table.name}`).size,
              `${where}: nothing granted on ${table.name} in ${peer.region}`,
            ).toBe(0);
          continue;
        }
        expect(fn.variables.DGOV_PEER_REGION, where).toBe(peer.region);
        for (const table of tables) {
          const peerArn = `arn:\${AWS::Partition}:dynamodb:${peer.region}:\${AWS::AccountId}:table/${table.name}`;
          // Every global table it uses, written or only read (the JWT deny-list, CORS origins): the
          // other region grants what home grants (describing aside: a describe alone stays home).
          const items = (arn: string) =>
            [...actionsOn(arn)].filter((action) => action !== 'dynamodb:DescribeTable').sort();
          expect(items(table.homeArn).length, `${where} on ${table.name}`).toBeGreaterThan(0);
          expect(items(peerArn), `${where} on ${peerArn}`).toEqual(items(table.homeArn));
          checked.add(table.name);
        }
        const keyArn = `arn:\${AWS::Partition}:kms:${peer.region}:\${AWS::AccountId}:key/`;
        expect(
          statements.some(
            (statement) =>
              statement.Resource.map((resource) => text(resolved(region, resource))).some((arn) =>
                arn.startsWith(keyArn),
              ) && statement.Action.includes('kms:Decrypt'),
          ),
          `${where} key`,
        ).toBe(true);
      }
      // Every global table is used by a function that fails over, so each was checked above.
      expect([...checked].sort(), label(region, synth)).toEqual([...tableNames].sort());
      // /health reports its own region's dependencies: no failover there.
      expect(
        ourFunctions(region.stateless$).find((fn) => fn.service === 'health')!.variables.DGOV_PEER_REGION,
      ).toBeUndefined();
    });
  });

  it("gives audit senders the other region's audit queue (same name) and lets them send to it", () => {
    each((region, synth) => {
      const peer = peerOf(synth, region);
      const senders = ourFunctions(region.stateless$).filter((fn) =>
        rolePolicyStatements(region.stateless$, fn).some((statement) => statement.Action.includes('sqs:SendMessage')),
      );
      expect(
        senders.map((fn) => fn.service),
        label(region, synth),
      ).toContain('identity');
      const name = crossRegionNames.queue(synth.config.stage, 'audit');
      for (const fn of senders) {
        expect(text(fn.variables.DGOV_PEER_AUDIT_QUEUE_URL), fn.service).toBe(
          `https://sqs.${peer.region}.\${AWS::URLSuffix}/\${AWS::AccountId}/${name}`,
        );
        const peerArn = `arn:\${AWS::Partition}:sqs:${peer.region}:\${AWS::AccountId}:${name}`;
        expect(
          rolePolicyStatements(region.stateless$, fn)
            .filter((statement) => statement.Resource.map(text).includes(peerArn))
            .flatMap((statement) => statement.Action),
        ).toContain('sqs:SendMessage');
      }
      expect(peer.stateful$.Resources[logicalId(peer.stateful.data.get(AuditData).queue)]!.Properties?.QueueName).toBe(
        name,
      );
    });
  });
});

describe('Route 53 latency routing', () => {
  it('adds no DNS, certificate or custom domain without a domain', () => {
    for (const region of dev.regions) {
      for (const type of [
        'AWS::Route53::RecordSet',
        'AWS::Route53::HealthCheck',
        'AWS::CertificateManager::Certificate',
        'AWS::ApiGatewayV2::DomainName',
      ]) {
        expect(resourcesOfType(region.stateless$, type), `${region.region} ${type}`).toEqual([]);
      }
    }
  });

  it("with a domain: a latency record per region, health-checked on its own API's /health, over a DNS-validated certificate", () => {
    for (const region of prod.regions) {
      const where = region.region;
      const [checkId, check] = one(region.stateless$, 'AWS::Route53::HealthCheck');
      expect(check.Properties?.HealthCheckConfig, where).toMatchObject({
        Type: 'HTTPS',
        Port: 443,
        ResourcePath: '/health',
        EnableSNI: true,
        FailureThreshold: 3,
      });
      expect((check.Properties?.HealthCheckConfig as Json).FullyQualifiedDomainName, where).toEqual({
        'Fn::Select': [
          2,
          { 'Fn::Split': ['/', { 'Fn::GetAtt': [logicalId(region.stateless.http.api), 'ApiEndpoint'] }] },
        ],
      });
      const [, record] = one(region.stateless$, 'AWS::Route53::RecordSet');
      expect(record.Properties, where).toMatchObject({
        Name: `${DOMAIN}.`,
        Type: 'A',
        Region: region.region,
        SetIdentifier: `dgov-prod-${region.region}`,
        HealthCheckId: { Ref: checkId },
        HostedZoneId: ZONE_ID,
      });
      const [domainId] = one(region.stateless$, 'AWS::ApiGatewayV2::DomainName');
      expect(JSON.stringify((record.Properties?.AliasTarget as Json).DNSName)).toContain(domainId);
      const [, certificate] = one(region.stateless$, 'AWS::CertificateManager::Certificate');
      expect(certificate.Properties).toMatchObject({
        DomainName: DOMAIN,
        ValidationMethod: 'DNS',
        DomainValidationOptions: [{ DomainName: DOMAIN, HostedZoneId: ZONE_ID }],
      });
      const [, mapping] = one(region.stateless$, 'AWS::ApiGatewayV2::ApiMapping');
      expect(mapping.Properties).toMatchObject({
        ApiId: { Ref: logicalId(region.stateless.http.api) },
        DomainName: { Ref: domainId },
      });
      expect(region.stateless$.Outputs?.PublicUrl?.Value).toBe(`https://${DOMAIN}`);
    }
  });
});
