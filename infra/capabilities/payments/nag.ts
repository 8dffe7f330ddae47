import type { Suppression } from '../capability.ts';

const STATEFUL_IMPORT = 'dgov-[a-z]+-stateful-[a-z0-9-]+:ExportsOutputFnGetAtt';
/** CDK's one Lambda per stack that writes S3 bucket notification configurations at deploy time. */
const NOTIFICATIONS_HANDLER = /^BucketNotificationsHandler[0-9a-f]{32}\/Role\/(Resource|DefaultPolicy\/Resource)$/;

/** cdk-nag findings of the payments resources, accepted with their reasons (infra/nag.ts). */
export const PAYMENTS_SUPPRESSIONS: readonly Suppression[] = [
  {
    rule: 'AwsSolutions-IAM5',
    finding: new RegExp(`^Resource::${STATEFUL_IMPORT}PaymentsTable[0-9A-F]{8}Arn[0-9A-F]{8}/index/\\*$`),
    path: /^Payments\/(Handler|Settlement|Reconcile)\/Fn\/ServiceRole\/DefaultPolicy\/Resource$/,
    reason:
      "The payments table's indexes (the `paid` index reconciliation queries): index ARNs are prefixed by the table's own, imported from the stateful stack",
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::arn:<AWS::Partition>:secretsmanager:[a-z0-9-]+:<AWS::AccountId>:secret:dgov\/[a-z]+\/payments\/channels\/\*$/,
    path: /^Payments\/Handler\/Fn\/ServiceRole\/DefaultPolicy\/Resource$/,
    reason:
      "GetSecretValue on the payment channels' secrets only (dgov/<stage>/payments/channels/<channel>): channels are added at run time by `dgov channels create`, so their names are not known at deploy time",
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$/,
    path: /^Payments\/Reconcile\/Fn\/ServiceRole\/DefaultPolicy\/Resource$/,
    reason:
      'CDK bucket grantReadWrite action groups, on the statements bucket only: the reconciler reads statements and writes reports there',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: new RegExp(
      `^Resource::(<PaymentsStatements[0-9A-F]{8}\\.Arn>|${STATEFUL_IMPORT}PaymentsStatements[0-9A-F]{8}Arn[0-9A-F]{8})/\\*$`,
    ),
    path: /^(Payments\/Reconcile\/Fn\/ServiceRole|Payments\/StatementsReplicationRole)\/DefaultPolicy\/Resource$/,
    reason:
      "Objects of the statements bucket: statements arrive under keys chosen by the channels' uploads and reports are written beside them; the replication role copies every object",
  },
  {
    rule: 'AwsSolutions-IAM4',
    finding: /^Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole$/,
    path: NOTIFICATIONS_HANDLER,
    reason:
      "CDK's bucket-notifications handler, run by CloudFormation at deploy time only: it writes its own logs and nothing else with this policy",
  },
  {
    rule: 'NIST.800.53.R5-IAMNoInlinePolicy',
    path: /^(BucketNotificationsHandler[0-9a-f]{32}\/Role\/DefaultPolicy\/Resource|Payments\/Statements\/Notifications\/HandlerPolicy\/Resource)$/,
    reason:
      "CDK's bucket-notifications handler policy: s3:PutBucketNotification on the statements bucket, attached to the deploy-time handler's own role only",
  },
];
