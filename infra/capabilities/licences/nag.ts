import type { Suppression } from '../capability.ts';

/** cdk-nag findings of the licences bucket's grants, accepted with their reasons (infra/nag.ts). */
export const LICENCES_SUPPRESSIONS: readonly Suppression[] = [];
