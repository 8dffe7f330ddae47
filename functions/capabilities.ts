import type { CapabilityManifest, FunctionManifest } from '../shared/capability.ts';
import { auditManifest } from './audit/manifest.ts';
import { hotlineManifest } from './hotline/manifest.ts';
import { identityManifest } from './identity/manifest.ts';
import { licencesManifest } from './licences/manifest.ts';
import { paymentsManifest } from './payments/manifest.ts';
import { platformManifest } from './platform-manifest.ts';

/**
 * Every capability of the suite. The route list, the config-schema registry and the OpenAPI
 * document derive from it; infra/capabilities/index.ts gives each one its cloud resources.
 * Adding a capability: its folders, one line here, one line there (README, "Add a capability").
 */
export const CAPABILITIES = [
  platformManifest,
  identityManifest,
  auditManifest,
  licencesManifest,
  hotlineManifest,
  paymentsManifest,
] as const;

export type CapabilityName = (typeof CAPABILITIES)[number]['name'];

export const allFunctions: readonly FunctionManifest[] = (CAPABILITIES as readonly CapabilityManifest[]).flatMap(
  (capability) => capability.functions,
);
