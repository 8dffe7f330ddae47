import {
  Validations,
  type App,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, type INagValidationContext, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { InvocationKind } from '../shared/capability.ts';
import type { CapabilityInfra, Suppression } from './capabilities/capability.ts';
import { capabilityInfra } from './capabilities/index.ts';
import { DgovFunction } from './constructs/dgov-function.ts';
import { DgovHttpApi } from './http-api.ts';

export type { Suppression } from './capabilities/capability.ts';

/**
 * cdk-nag: the AWS Solutions and NIST 800-53 rev 5 packs, and every finding this app accepts,
 * each with its reason. Nothing else in the code base suppresses a rule.
 *
 * cdk-nag 3 acknowledges findings through CDK's `Validations.of(construct).acknowledge()`, one
 * exact finding id at a time (`AwsSolutions-IAM5[Resource::<AuditBucketB01E0AE8.Arn>/*]`). The
 * ids embed logical ids, so rather than spell them out, each suppression below names a rule, the
 * findings of it (a pattern on the bracketed part) and the constructs (a pattern on the path) it
 * covers; `acknowledgeFindings` runs the packs, acknowledges each finding a suppression covers
 * with that suppression's reason, and leaves every other finding to fail the synth.
 * Findings of our functions are told apart by the function's invocation kind, not by its name;
 * a capability's own findings come with it (infra/capabilities/<name>/).
 * `test/infra/nag.test.ts` checks that nothing is left and that every suppression is used.
 */

/** Functions this project bundles (DgovFunction, below a capability's code construct) and their roles' policies. */
const OUR_FUNCTION = /^([A-Za-z0-9]+\/)+Fn\/Resource$/;
const OUR_FUNCTION_POLICY = /^([A-Za-z0-9]+\/)+Fn\/ServiceRole\/DefaultPolicy\/Resource$/;
/** The provider function CDK adds for AwsCustomResource (the multi-Region key lookups, replica region only). */
const KEY_LOOKUP_PROVIDER = /^AWS679f53fac002430cb0da5b7982bd2287\//;

const PLATFORM_SUPPRESSIONS: readonly Suppression[] = [
  // --- Lambda ---------------------------------------------------------------------------------
  {
    rule: 'AwsSolutions-L1',
    path: OUR_FUNCTION,
    reason:
      'nodejs22.x is pinned on purpose (the runtime npm start emulates and the bundles target, node22); moving to a newer runtime is a deliberate upgrade across infra, bundling and the local runtime, not a side effect of a cdk-nag release',
  },
  {
    rule: 'AwsSolutions-IAM4',
    finding: /^Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole$/,
    path: /^(([A-Za-z0-9]+\/)+Fn|AWS679f53fac002430cb0da5b7982bd2287)\/ServiceRole\/Resource$/,
    reason:
      'AWSLambdaBasicExecutionRole only allows logs:CreateLogGroup, CreateLogStream and PutLogEvents; each function writes to its own retained, KMS-encrypted log group',
  },
  {
    rule: 'NIST.800.53.R5-LambdaInsideVPC',
    path: new RegExp(`${OUR_FUNCTION.source}|${KEY_LOOKUP_PROVIDER.source}`),
    reason:
      'The functions reach only regional AWS service endpoints (DynamoDB, SQS, S3, KMS) over TLS with IAM-signed requests and hold no network-reachable state; a VPC would add NAT or endpoint cost and cold-start latency without narrowing what they can reach (SC-7 boundary is IAM and TLS here)',
  },
  {
    rule: 'NIST.800.53.R5-LambdaConcurrency',
    path: new RegExp(`${OUR_FUNCTION.source}|${KEY_LOOKUP_PROVIDER.source}`),
    reason:
      'Load is bounded at the front door by HTTP API stage throttling (infra/operations.ts API_THROTTLE) and per-source login limits; reserving concurrency per function would carve up the account pool (new accounts have 10 in total) and turn bursts into errors',
  },
  {
    rule: 'NIST.800.53.R5-LambdaDLQ',
    path: OUR_FUNCTION,
    kinds: ['http'],
    reason:
      'Invoked synchronously by the HTTP API: a failure is the 5xx answer to the caller (alarmed on), there is no asynchronous event to dead-letter',
  },
  {
    rule: 'NIST.800.53.R5-LambdaDLQ',
    path: OUR_FUNCTION,
    kinds: ['queue'],
    reason:
      'Invoked by an SQS event source mapping: failed records return to their queue and after 5 receives go to its dead-letter queue (14 days, depth alarm); a Lambda DLQ applies to asynchronous invokes only',
  },
  {
    rule: 'NIST.800.53.R5-LambdaDLQ',
    path: OUR_FUNCTION,
    kinds: ['schedule'],
    reason:
      "Invoked by its schedule: a scheduled event carries nothing but the time, so a failed run loses no data; the next run picks up the work (for the audit seal, its digest lists every object written since the previous one), and the function's Errors alarm reports the failure",
  },
  {
    rule: 'NIST.800.53.R5-LambdaDLQ',
    path: KEY_LOOKUP_PROVIDER,
    reason:
      'CDK AwsCustomResource provider run by CloudFormation at deploy time only (multi-Region key lookup); a failure fails the deployment, which is its notification',
  },
  // --- IAM ------------------------------------------------------------------------------------
  {
    rule: 'NIST.800.53.R5-IAMNoInlinePolicy',
    path: /(^([A-Za-z0-9]+\/)+Fn\/ServiceRole\/DefaultPolicy\/Resource$)|(ReplicationRole\/DefaultPolicy\/Resource$)|(PrimaryLookup\/CustomResourcePolicy\/Resource$)/,
    reason:
      'CDK grants write one policy per role, scoped to the resources that role is granted; it lives and dies with its role and is never shared, which is the least-privilege intent of AC-6 (a managed policy per role would add nothing but a second resource)',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::\*$/,
    path: OUR_FUNCTION_POLICY,
    reason:
      'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions; test/infra/wiring.test.ts asserts only xray actions appear on resource "*"',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Action::kms:(GenerateDataKey|ReEncrypt)\*$/,
    path: OUR_FUNCTION_POLICY,
    reason:
      'CDK table and bucket grants give encrypt/decrypt on the one customer-managed key of that table or bucket (resource-scoped); the wildcard covers the variants of the same operation (GenerateDataKeyWithoutPlaintext, ReEncryptFrom/To)',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::arn:<AWS::Partition>:s3:::dgov-[a-z]+-[a-z]+-dr-<AWS::AccountId>-[a-z0-9-]+\/\*$/,
    path: /ReplicationRole\/DefaultPolicy\/Resource$/,
    reason:
      "S3 replication writes every replicated object into the other region's DR copy bucket: s3:ReplicateObject/Delete/Tags on that one bucket's objects",
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::(<[A-Za-z0-9]+\.Arn>|arn:<AWS::Partition>:dynamodb:[a-z0-9-]+:<AWS::AccountId>:table\/dgov-[a-z]+-[a-z]+)\/index\/\*$/,
    path: OUR_FUNCTION_POLICY,
    reason:
      "The indexes of a table the function is granted (at home, and the same global table in the other region for failover): queries by index need the index ARNs, which the table's own ARN prefixes",
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::arn:<AWS::Partition>:kms:[a-z0-9-]+:<AWS::AccountId>:key\/\*$/,
    path: /PrimaryLookup\/CustomResourcePolicy\/Resource$/,
    reason:
      'kms:DescribeKey of the multi-Region primary by its alias: the key id is what is being looked up, and the condition kms:ResourceAliases limits the grant to the key behind that one alias',
  },
  // --- S3 -------------------------------------------------------------------------------------
  {
    rule: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
    path: /^AccessLogs\/Resource$/,
    reason:
      'S3 server access logs can only be delivered to a bucket whose default encryption is SSE-S3 (AES-256); SSE-KMS targets are not supported by the log delivery service',
  },
  {
    rule: 'NIST.800.53.R5-S3BucketReplicationEnabled',
    path: /^AccessLogs\/Resource$/,
    reason:
      "Access logs describe requests to this region's buckets and expire with the log retention; replicating them would log the replication traffic of their own copies, and each region keeps its own",
  },
  {
    rule: 'NIST.800.53.R5-S3BucketReplicationEnabled',
    path: /DrCopy\/Resource$/,
    reason:
      "A DR copy is itself the cross-region replica of the other region's bucket (RTC, 15 minutes); replicating it back would loop objects between the regions",
  },
  // --- API Gateway ----------------------------------------------------------------------------
  {
    rule: 'AwsSolutions-APIG4',
    path: /^Http\/[A-Za-z0-9]+\/Resource$/,
    where: (construct) => DgovHttpApi.isPublicRoute(construct),
    reason:
      'Public by contract (route contract auth: none; docs/identity.md, docs/platform.md): health, the OpenAPI document, OpenID Connect discovery, JWKS and OAuth endpoints (which authenticate clients and users themselves), registration, the $default 404/405 fallback, and OPTIONS /{proxy+}, the CORS preflight, which browsers send without credentials (Fetch standard)',
  },
];

/** Every finding an app of these capabilities accepts: the platform's, then each capability's. */
export const suppressionsFor = (capabilities: readonly CapabilityInfra[]): readonly Suppression[] => [
  ...PLATFORM_SUPPRESSIONS,
  ...capabilities.flatMap((capability) => capability.suppressions ?? []),
];

/** The suite's suppressions (functions/capabilities.ts). */
export const SUPPRESSIONS = suppressionsFor(capabilityInfra());

/** The capabilities an app was built with (infra/app.ts records them), for its suppressions. */
const appCapabilities = new WeakMap<IConstruct, readonly CapabilityInfra[]>();
export const recordCapabilities = (app: App, capabilities: readonly CapabilityInfra[]): void => {
  appCapabilities.set(app, capabilities);
};
const suppressionsOf = (scope: IConstruct): readonly Suppression[] =>
  suppressionsFor(appCapabilities.get(scope.node.root) ?? capabilityInfra());

/** The invocation kind of the function a construct belongs to, if it belongs to one of ours. */
const kindOf = (construct?: IConstruct): InvocationKind | undefined =>
  construct && DgovFunction.enclosing(construct)?.kind;

/** Fresh pack instances (they keep the findings of their last run). */
export const nagPacks = (): NagPack[] => [new AwsSolutionsChecks(), new NIST80053R5Checks()];

export interface Finding {
  /** `AwsSolutions-IAM5[Resource::*]` */
  id: string;
  rule: string;
  finding?: string;
  constructPath: string;
  /** The construct at that path (undefined only for a path the tree no longer has). */
  construct?: IConstruct;
  severity: string;
  description: string;
}

/** Every finding the packs report on the tree now (acknowledged ones are not reported). */
export function findings(scope: IConstruct, packs: NagPack[] = nagPacks()): Finding[] {
  const byPath = new Map(scope.node.findAll().map((node) => [node.node.path, node]));
  return packs.flatMap((pack) =>
    pack.validateScope(scope).violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => {
        const match = /^([^[]+)(?:\[(.*)\])?$/.exec(violation.ruleName)!;
        return {
          id: violation.ruleName,
          rule: match[1]!,
          finding: match[2],
          constructPath: resource.constructPath ?? '',
          construct: byPath.get(resource.constructPath ?? ''),
          severity: String(violation.severity),
          description: violation.description,
        };
      }),
    ),
  );
}

/** The path below the stack: `dgov-prod-stateless-cn-north-1/Health/Fn/Resource` → `Health/Fn/Resource`. */
export const pathInStack = (constructPath: string): string => constructPath.slice(constructPath.indexOf('/') + 1);

export const suppressionFor = (finding: Finding, suppressions = SUPPRESSIONS): Suppression | undefined =>
  suppressions.find(
    (suppression) =>
      suppression.rule === finding.rule &&
      (suppression.finding === undefined
        ? finding.finding === undefined
        : finding.finding !== undefined && suppression.finding.test(finding.finding)) &&
      suppression.path.test(pathInStack(finding.constructPath)) &&
      (suppression.kinds === undefined || suppression.kinds.some((kind) => kind === kindOf(finding.construct))) &&
      (suppression.where === undefined || (finding.construct !== undefined && suppression.where(finding.construct))),
  );

/** Acknowledges every finding a suppression covers; returns them with the suppression used. */
export function acknowledgeFindings(scope: IConstruct): { finding: Finding; suppression: Suppression }[] {
  const acknowledged: { finding: Finding; suppression: Suppression }[] = [];
  const suppressions = suppressionsOf(scope);
  for (const finding of findings(scope)) {
    const suppression = suppressionFor(finding, suppressions);
    if (!suppression || !finding.construct) continue;
    Validations.of(finding.construct).acknowledge({ id: finding.id, reason: suppression.reason });
    acknowledged.push({ finding, suppression });
  }
  return acknowledged;
}

/**
 * Both packs as one CDK validation plugin. It runs after synthesis has resolved cross-stack
 * references (a finding's id then names the export, not the token), acknowledges what
 * SUPPRESSIONS covers, and reports everything else, which fails the synth.
 */
export class DgovNagPlugin implements IPolicyValidationPlugin {
  readonly name = 'cdk-nag: AwsSolutions + NIST 800-53 rev 5 (infra/nag.ts)';

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const app = (context as INagValidationContext).appConstruct;
    acknowledgeFindings(app);
    const reports = nagPacks().map((pack) => pack.validateScope(app));
    return {
      success: reports.every((report) => report.success),
      violations: reports.flatMap((report) => report.violations),
    };
  }
}

/** `-c nag=true` (cdk.json sets it for `cdk synth`/`deploy`): a finding nobody suppressed fails the synth. */
export function applyNag(app: App): void {
  Validations.of(app).addPlugins(new DgovNagPlugin());
}
