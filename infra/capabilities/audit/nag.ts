import type { Suppression } from '../capability.ts';

/** cdk-nag findings of the audit bucket's grants, accepted with their reasons (infra/nag.ts). */
export const AUDIT_SUPPRESSIONS: readonly Suppression[] = [
  {
    rule: 'AwsSolutions-IAM5',
    // Before synthesis the bucket ARN is a token (<AuditBucketB01E0AE8.Arn>); in another stack it is then an import.
    finding:
      /^Resource::(<AuditBucket[0-9A-F]{8}\.Arn>|dgov-[a-z]+-stateful-[a-z0-9-]+:ExportsOutputFnGetAttAuditBucket[0-9A-F]{8}Arn[0-9A-F]{8})\/(events\/|digests\/)?\*$/,
    path: /^Audit\/((Writer|Seal)\/Fn\/ServiceRole\/DefaultPolicy|BucketReplicationRole\/DefaultPolicy|Guard\/BreakGlassPolicy)\/Resource$/,
    reason:
      "Objects of the audit bucket under one prefix: the writer puts under events/, the seal under digests/ (and reads the trail), each under generated keys; the replication role copies every object; the break-glass role (MFA) is the one principal the bucket policy lets delete or unlock objects, so its grant is on the bucket's own objects",
  },
];
