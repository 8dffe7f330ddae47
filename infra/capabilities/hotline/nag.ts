import type { Suppression } from '../capability.ts';

/** cdk-nag findings of the hotline's grants, accepted with their reasons (infra/nag.ts). */
export const HOTLINE_SUPPRESSIONS: readonly Suppression[] = [
  {
    rule: 'AwsSolutions-IAM5',
    // The table is the stateful stack's: in the stateless stack its ARN is an import of that stack's export.
    finding:
      /^Resource::dgov-[a-z]+-stateful-[a-z0-9-]+:ExportsOutputFnGetAttHotlineTable[0-9A-F]{8}Arn[0-9A-F]{8}\/index\/\*$/,
    path: /^Hotline\/(Handler|Router|Sweeper)\/Fn\/ServiceRole\/DefaultPolicy\/Resource$/,
    reason:
      "The hotline table's own indexes (work queues by department, escalations, SLA timers, Open311 by filer): queries by index need the index ARNs, which the table's ARN prefixes",
  },
];
