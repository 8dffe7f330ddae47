import * as z from 'zod/mini';
import { sealConfigSchema, writerConfigSchema } from './audit/config.ts';
import { configSchema as health } from './health/config.ts';
import { configSchema as identity } from './identity/config.ts';
import { configSchema as openapi } from './openapi/config.ts';

/**
 * Every function's config schema by its service name (POWERTOOLS_SERVICE_NAME), so the infra
 * tests can check that the template gives each function what it needs to start.
 */
export const configSchemas: Record<string, z.ZodMiniObject> = {
  fallback: z.object({}),
  health,
  openapi,
  identity,
  'audit-writer': writerConfigSchema,
  'audit-seal': sealConfigSchema,
};
