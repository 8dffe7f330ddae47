import { ENV, loadConfig } from '../../shared/config.ts';
import { httpHandler, json, type RouteHandler } from '../../shared/http.ts';
import { logger } from '../../shared/observability.ts';
import { configSchema } from './config.ts';
import { getHealthRoute } from './contract.ts';
import { checkHealth, type Probes } from './domain.ts';
import { awsProbes } from './store.ts';

const config = loadConfig(configSchema);
const probes = awsProbes({
  table: config[ENV.controlTable],
  queueUrl: config[ENV.auditQueueUrl],
  bucket: config[ENV.auditBucket],
});

export const makeGetHealth =
  (deps: Probes): RouteHandler<typeof getHealthRoute> =>
  async () => {
    const health = await checkHealth(deps, { region: config.region, version: config[ENV.version] });
    if (health.status === 'ok') return json(200, health);
    logger.warn('dependency down', { dependencies: health.dependencies });
    return json(503, health, { 'retry-after': '5' });
  };

export const getHealth = makeGetHealth(probes);
export const handler = httpHandler(getHealthRoute, getHealth);
