import type * as z from 'zod/mini';
import { allFunctions } from './capabilities.ts';

/**
 * Every function's config schema by its service name (POWERTOOLS_SERVICE_NAME), derived from the
 * manifests, so the infra tests can check that the template gives each function what it needs.
 */
export const configSchemas: Readonly<Record<string, z.ZodMiniObject>> = Object.fromEntries(
  allFunctions.map((fn) => [fn.service, fn.config]),
);
