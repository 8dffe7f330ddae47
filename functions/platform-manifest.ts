import * as z from 'zod/mini';
import { defineCapability } from '../shared/capability.ts';
import { configSchema as healthConfig } from './health/config.ts';
import { getHealthRoute } from './health/contract.ts';
import { configSchema as openApiConfig } from './openapi/config.ts';
import { getOpenApiRoute } from './openapi/contract.ts';

/** What every deployment has whatever its capabilities: health, the OpenAPI document, the 404/405 fallback. */
export const platformManifest = defineCapability({
  name: 'platform',
  summary: 'Health, the OpenAPI document and the 404/405 fallback',
  env: {},
  functions: [
    {
      service: 'fallback',
      entry: 'functions/fallback/handler.ts',
      description: 'Answers unknown routes with problem+json 404/405',
      kind: 'http',
      config: z.object({}),
      servesDefaultRoute: true,
    },
    {
      service: 'health',
      entry: 'functions/health/handler.ts',
      description: 'GET /health: the state of every dependency',
      kind: 'http',
      config: healthConfig,
      routes: [getHealthRoute],
    },
    {
      service: 'openapi',
      entry: 'functions/openapi/handler.ts',
      description: 'GET /openapi.json, generated from the route contracts',
      kind: 'http',
      config: openApiConfig,
      routes: [getOpenApiRoute],
    },
  ],
});
