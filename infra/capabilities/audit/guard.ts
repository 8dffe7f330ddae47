import { Aws } from 'aws-cdk-lib';
import {
  AccountRootPrincipal,
  AnyPrincipal,
  Effect,
  ManagedPolicy,
  PolicyStatement,
  Role,
  type IGrantable,
} from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** What only the break-glass role may do to the audit bucket: hide, shorten or unprotect what it holds. */
export const BREAK_GLASS_ACTIONS = [
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:DeleteObjectTagging',
  's3:DeleteObjectVersionTagging',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:BypassGovernanceRetention',
  's3:PutBucketVersioning',
  's3:PutBucketObjectLockConfiguration',
  's3:PutLifecycleConfiguration',
] as const;

/**
 * The audit bucket's policy denies every principal but one named break-glass role (assumed by
 * the account with MFA, for a court order or a retention change) the actions that delete
 * objects, change retention or versioning. A stolen writer or seal credential, or an admin
 * policy granting s3:*, therefore cannot hide an object even where Object Lock is absent.
 */
export class AuditBucketGuard extends Construct {
  readonly breakGlassRole: Role;

  constructor(scope: Construct, id: string, props: { bucket: IBucket; stage: string }) {
    super(scope, id);
    const { bucket, stage } = props;
    const roleName = `dgov-${stage}-audit-break-glass-${Aws.REGION}`;
    this.breakGlassRole = new Role(this, 'BreakGlass', {
      roleName,
      description: 'The only principal that may delete audit objects or change their retention or versioning',
      assumedBy: new AccountRootPrincipal().withConditions({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } }),
    });
    new ManagedPolicy(this, 'BreakGlassPolicy', {
      description: 'Deletes audit objects, changes their retention or the bucket versioning (break glass only)',
      roles: [this.breakGlassRole],
      statements: [
        new PolicyStatement({
          actions: [...BREAK_GLASS_ACTIONS],
          resources: [bucket.bucketArn, bucket.arnForObjects('*')],
        }),
      ],
    });
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyBreakGlassDeletesOrUnlocks',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: [...BREAK_GLASS_ACTIONS],
        resources: [bucket.bucketArn, bucket.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': this.breakGlassRole.roleArn } },
      }),
    );
  }
}

/** Least privilege for the writer: put under events/, read back its own (HEAD), nothing else. */
export function grantWriter(fn: IGrantable, bucket: IBucket): void {
  fn.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [bucket.arnForObjects('events/*')] }),
  );
  bucket.encryptionKey?.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
}

/** The seal: put under digests/, read and list the whole trail. */
export function grantSeal(fn: IGrantable, bucket: IBucket): void {
  fn.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('digests/*')] }),
  );
  fn.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('*')] }),
  );
  fn.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
  );
  bucket.encryptionKey?.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
}
