import type { CapabilityName } from '../../functions/capabilities.ts';
import { auditManifest } from '../../functions/audit/manifest.ts';
import { hotlineManifest } from '../../functions/hotline/manifest.ts';
import { identityManifest } from '../../functions/identity/manifest.ts';
import { licencesManifest } from '../../functions/licences/manifest.ts';
import { paymentsManifest } from '../../functions/payments/manifest.ts';
import { platformManifest } from '../../functions/platform-manifest.ts';
import { AuditCode } from './audit/code.ts';
import { AuditData } from './audit/data.ts';
import { AUDIT_SUPPRESSIONS } from './audit/nag.ts';
import type { CapabilityInfra } from './capability.ts';
import { HotlineCode } from './hotline/code.ts';
import { HotlineData } from './hotline/data.ts';
import { HOTLINE_SUPPRESSIONS } from './hotline/nag.ts';
import { IdentityCode } from './identity/code.ts';
import { IdentityData } from './identity/data.ts';
import { LicencesCode } from './licences/code.ts';
import { LicencesData } from './licences/data.ts';
import { LICENCES_SUPPRESSIONS } from './licences/nag.ts';
import { PaymentsCode } from './payments/code.ts';
import { PaymentsData } from './payments/data.ts';
import { PAYMENTS_SUPPRESSIONS } from './payments/nag.ts';
import { PlatformCode } from './platform/code.ts';

/**
 * Each capability of functions/capabilities.ts with its cloud resources. The stacks loop over
 * this and name no capability; the type makes leaving one out (or naming a stranger) a compile error.
 */
const CAPABILITY_INFRA: { readonly [name in CapabilityName]: CapabilityInfra } = {
  platform: {
    manifest: platformManifest,
    code: (scope, context) => new PlatformCode(scope, 'Platform', context),
  },
  identity: {
    manifest: identityManifest,
    data: (scope, context) => new IdentityData(scope, 'Identity', context),
    code: (scope, context) => new IdentityCode(scope, 'Identity', context),
    localSeed: async () => (await import('./identity/seed.ts')).seedDemoClients,
  },
  audit: {
    manifest: auditManifest,
    replicatedBuckets: { audit: { objectLock: true } },
    data: (scope, context) => new AuditData(scope, 'Audit', context),
    code: (scope, context) => new AuditCode(scope, 'Audit', context),
    suppressions: AUDIT_SUPPRESSIONS,
  },
  licences: {
    manifest: licencesManifest,
    replicatedBuckets: { licences: { objectLock: false } },
    data: (scope, context) => new LicencesData(scope, 'Licences', context),
    code: (scope, context) => new LicencesCode(scope, 'Licences', context),
    suppressions: LICENCES_SUPPRESSIONS,
  },
  hotline: {
    manifest: hotlineManifest,
    data: (scope, context) => new HotlineData(scope, 'Hotline', context),
    code: (scope, context) => new HotlineCode(scope, 'Hotline', context),
    suppressions: HOTLINE_SUPPRESSIONS,
    localSeed: async () => (await import('./hotline/seed.ts')).seedWorkQueueClients,
  },
  payments: {
    manifest: paymentsManifest,
    replicatedBuckets: { statements: { objectLock: false } },
    data: (scope, context) => new PaymentsData(scope, 'Payments', context),
    code: (scope, context) => new PaymentsCode(scope, 'Payments', context),
    suppressions: PAYMENTS_SUPPRESSIONS,
  },
};

/** In the order of functions/capabilities.ts (data first, code after, in that order). */
export const capabilityInfra = (): CapabilityInfra[] => Object.values(CAPABILITY_INFRA);
