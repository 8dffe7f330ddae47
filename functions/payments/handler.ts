import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { auditEmitter, sqsAuditSender } from '../../shared/audit.ts';
import { clientOptions } from '../../shared/aws/client-options.ts';
import { documents } from '../../shared/aws/dynamodb.ts';
import { queues } from '../../shared/aws/sqs.ts';
import { namedDependency } from '../../shared/aws/unavailable.ts';
import { ENV, loadConfig } from '../../shared/config.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { httpHandler, json, type HttpRequest, type HttpResult, type RouteHandler } from '../../shared/http.ts';
import { routeKey, type RouteContract } from '../../shared/route-contract.ts';
import { channelSecrets } from './adapters/channel-secrets.ts';
import { secretReader } from './adapters/secrets.ts';
import { sqsSettlementPublisher } from './adapters/settlement-queue.ts';
import { apiConfigSchema } from './config.ts';
import * as routes from './contract.ts';
import { dynamoPaymentsStore } from './dynamodb/store.ts';
import { PAYMENTS_ENV } from './env.ts';
import { REVENUE_ITEMS } from './items.ts';
import type { PaymentsDeps } from './ports.ts';
import { receiveCallback } from './use-cases/callback.ts';
import { createOrder, orderView, readOrder, requestRefund, type Caller } from './use-cases/orders.ts';

const config = loadConfig(apiConfigSchema);
let secretsManager: SecretsManagerClient | undefined;
const deps: PaymentsDeps & { channels: ReturnType<typeof channelSecrets> } = {
  store: dynamoPaymentsStore(documents, config[PAYMENTS_ENV.paymentsTable]),
  publish: sqsSettlementPublisher(queues, config[PAYMENTS_ENV.settlementQueueUrl]),
  audit: auditEmitter(sqsAuditSender(config[ENV.auditQueueUrl]), config.region),
  now: () => new Date(),
  channels: channelSecrets(
    secretReader(config[PAYMENTS_ENV.channelSecrets], () => {
      secretsManager ??= namedDependency(new SecretsManagerClient(clientOptions), 'secretsmanager');
      return secretsManager;
    }),
  ),
};
const policy = {
  maxAmountFen: Number(config[PAYMENTS_ENV.maxAmountFen]),
  orderTtlMinutes: Number(config[PAYMENTS_ENV.orderTtlMinutes]),
};

/** The caller, from the claims the HTTP API's JWT authorizer verified. */
export function callerOf(request: HttpRequest<unknown, unknown, unknown>): Caller {
  const context = request.raw.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
  const claims = context.authorizer?.jwt?.claims ?? {};
  const text = (name: string) => (typeof claims[name] === 'string' ? (claims[name] as string) : undefined);
  const department = text('department');
  return { clientId: text('client_id') ?? '', sub: text('sub') ?? '', ...(department ? { department } : {}) };
}

export const listItems: RouteHandler<typeof routes.itemsRoute> = async () =>
  json(200, REVENUE_ITEMS, { 'cache-control': 'public, max-age=300' });

export const postOrder: RouteHandler<typeof routes.createOrderRoute> = async (request) => {
  const order = await createOrder(request.body, callerOf(request), policy, deps, request.requestId);
  const { orderId, paymentCode, status, amountFen, currency, payBy } = order;
  return json(
    201,
    { orderId, paymentCode, status, amountFen, currency, payBy },
    { location: `/payments/orders/${orderId}` },
  );
};

export const getOrder: RouteHandler<typeof routes.getOrderRoute> = async (request) =>
  json(200, orderView(await readOrder(request.params.orderId, callerOf(request), deps, request.requestId)));

export const postRefund: RouteHandler<typeof routes.refundRoute> = async (request) =>
  json(
    200,
    orderView(
      await requestRefund(request.params.orderId, request.body.reason, callerOf(request), deps, request.requestId),
    ),
  );

export const postCallback: RouteHandler<typeof routes.callbackRoute> = async (request): Promise<HttpResult> => {
  const raw = request.raw;
  const body = raw.body ? Buffer.from(raw.body, raw.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
  const answer = await receiveCallback(request.params.channel, { headers: request.headers, body }, deps, {
    requestId: request.requestId,
    ...(request.sourceIp ? { sourceIp: request.sourceIp } : {}),
  });
  return { statusCode: answer.statusCode, headers: { 'content-type': answer.contentType }, body: answer.body };
};

const served: [RouteContract, RouteHandler<never>][] = [
  [routes.itemsRoute, listItems],
  [routes.createOrderRoute, postOrder],
  [routes.getOrderRoute, getOrder],
  [routes.refundRoute, postRefund],
  [routes.callbackRoute, postCallback],
];
const byRouteKey = new Map(served.map(([contract, run]) => [routeKey(contract), httpHandler(contract, run)]));
const unknownRoute = httpHandler(routes.itemsRoute, async (request) => {
  throw new NotFoundError(`no payments route ${request.raw.routeKey}`);
});

/** One function serves the payments routes; API Gateway tells it which by routeKey. */
export const handler = async (event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> =>
  (byRouteKey.get(event.routeKey) ?? unknownRoute)(event, context);
