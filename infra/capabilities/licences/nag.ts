import type { Suppression } from '../capability.ts';

/** cdk-nag findings of the licences bucket's and table's grants, accepted with their reasons (infra/nag.ts). */
export const LICENCES_SUPPRESSIONS: readonly Suppression[] = [
  {
    rule: 'AwsSolutions-IAM5',
    // Before synthesis the ARNs are tokens (<LicencesBucketXXXXXXXX.Arn>); in the stateless stack they are imports.
    finding:
      /^Resource::(<LicencesBucket[0-9A-F]{8}\.Arn>|dgov-[a-z]+-stateful-[a-z0-9-]+:ExportsOutputFnGetAttLicencesBucket[0-9A-F]{8}Arn[0-9A-F]{8})\/(licences\/)?\*$/,
    path: /^Licences\/(Handler\/Fn\/ServiceRole|BucketReplicationRole)\/DefaultPolicy\/Resource$/,
    reason:
      "Objects of the licences bucket: the function writes each licence's sealed document under licences/<licenceId>.json (ids are generated), and the replication role copies every object",
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::dgov-[a-z]+-stateful-[a-z0-9-]+:ExportsOutputFnGetAttLicencesTable[0-9A-F]{8}Arn[0-9A-F]{8}\/index\/\*$/,
    path: /^Licences\/Handler\/Fn\/ServiceRole\/DefaultPolicy\/Resource$/,
    reason: "The licences table's own GSIs (byHolder, byType, byIssuer): holder=me queries byHolder",
  },
];
