import { defineCapability } from '../../shared/capability.ts';
import { configSchema } from './config.ts';
import { identityRoutes } from './contract.ts';
import { IDENTITY_ENV } from './env.ts';

export const identityManifest = defineCapability({
  name: 'identity',
  summary: 'OpenID Connect provider: one sign-on for the whole province',
  env: IDENTITY_ENV,
  functions: [
    {
      service: 'identity',
      entry: 'functions/identity/handler.ts',
      description: 'OpenID Connect provider: one sign-on for the whole province',
      kind: 'http',
      config: configSchema,
      routes: identityRoutes,
    },
  ],
});
