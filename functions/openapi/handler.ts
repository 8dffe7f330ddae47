import { ENV, loadConfig } from '../../shared/config.ts';
import { httpHandler, json, type RouteHandler } from '../../shared/http.ts';
import { allRoutes } from '../routes.ts';
import { configSchema } from './config.ts';
import { getOpenApiRoute } from './contract.ts';
import { openApiDocument } from './domain.ts';

const config = loadConfig(configSchema);
// Built once per cold start: the routes cannot change while the sandbox lives.
const document = openApiDocument(allRoutes, { version: config[ENV.version] });

export const getOpenApi: RouteHandler<typeof getOpenApiRoute> = async () =>
  json(200, document, { 'cache-control': 'public, max-age=300' });
export const handler = httpHandler(getOpenApiRoute, getOpenApi);
