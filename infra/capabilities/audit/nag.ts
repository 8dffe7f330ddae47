import type { Suppression } from '../capability.ts';

/** cdk-nag findings of the audit bucket's grants, accepted with their reasons (infra/nag.ts). */
export const AUDIT_SUPPRESSIONS: readonly Suppression[] = [
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$/,
    path: /^Audit\/(Writer|Seal)\/Fn\/ServiceRole\/DefaultPolicy\/Resource$/,
    reason:
      'CDK bucket grantReadWrite action groups, on the audit bucket only; the audit writer and seal read, write and list that one bucket (Object Lock prevents any deletion before retention ends)',
  },
  {
    rule: 'AwsSolutions-IAM5',
    // Before synthesis the bucket ARN is a token (<AuditBucketB01E0AE8.Arn>); in another stack it is then an import.
    finding:
      /^Resource::(<AuditBucket[0-9A-F]{8}\.Arn>|dgov-[a-z]+-stateful-[a-z0-9-]+:ExportsOutputFnGetAttAuditBucket[0-9A-F]{8}Arn[0-9A-F]{8})\/\*$/,
    path: /^Audit\/((Writer|Seal)\/Fn\/ServiceRole|BucketReplicationRole)\/DefaultPolicy\/Resource$/,
    reason:
      "Objects of the audit bucket: the writer and seal create objects under generated keys and the replication role copies every object, so the grant is on the bucket's own objects",
  },
];
