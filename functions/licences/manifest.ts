import { defineCapability } from '../../shared/capability.ts';
import { configSchema } from './config.ts';
import { licencesRoutes } from './contract.ts';
import { LICENCES_ENV } from './env.ts';

export const licencesManifest = defineCapability({
  name: 'licences',
  summary: 'Electronic licences (电子证照) sealed with SM2 electronic seals, recognised across issuers',
  env: LICENCES_ENV,
  functions: [
    {
      service: 'licences',
      entry: 'functions/licences/handler.ts',
      description: 'Issues, seals, serves, verifies and revokes electronic licences',
      kind: 'http',
      config: configSchema,
      routes: licencesRoutes,
    },
  ],
});
