import { auditEmitter, sqsAuditSender } from '../../shared/audit.ts';
import { documents } from '../../shared/aws/dynamodb.ts';
import { ENV, loadConfig } from '../../shared/config.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../shared/errors.ts';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { httpHandler, json, type HttpResult, type RouteHandler } from '../../shared/http.ts';
import { routeKey, type RouteContract } from '../../shared/route-contract.ts';
import { metrics } from '../../shared/observability.ts';
import { actorOf, claimsOf, filerOf, requireActScope } from './caller.ts';
import { apiConfigSchema } from './config.ts';
import * as routes from './contract.ts';
import { identityApiKeys } from './dynamodb/api-keys.ts';
import { dynamoTicketStore } from './dynamodb/tickets.ts';
import { HOTLINE_ENV } from './env.ts';
import * as open311 from './open311.ts';
import { open311Handlers } from './open311-handlers.ts';
import { workQueueHandlers } from './pages.ts';
import type { HotlinePorts } from './ports.ts';
import { sqsRoutingQueue } from './queue.ts';
import { actOnTicket, readTicket } from './use-cases/actions.ts';
import { fileTicket } from './use-cases/intake.ts';
import { queueItem, ticketView } from './views.ts';
import type { TicketAction } from './workflow.ts';

const config = loadConfig(apiConfigSchema);
const ports: HotlinePorts = {
  tickets: dynamoTicketStore(documents, config[HOTLINE_ENV.table]),
  audit: auditEmitter(sqsAuditSender(config[ENV.auditQueueUrl]), config.region),
  now: () => new Date(),
  countMetric: (name, count = 1) => metrics.addMetric(name, 'Count', count),
};
const queue = sqsRoutingQueue(config[HOTLINE_ENV.routingQueueUrl]);
const apiKeys = identityApiKeys(documents, config[HOTLINE_ENV.apiKeyTable]);
const context = (request: { requestId: string; sourceIp?: string }) => ({
  requestId: request.requestId,
  ...(request.sourceIp ? { sourceIp: request.sourceIp } : {}),
});

/** Idempotency-Key (IETF httpapi draft): printable ASCII, as a bare token or a structured-field string. */
const IDEMPOTENCY_KEY = /^"?([\x20-\x21\x23-\x7e]{1,255})"?$/;
function idempotencyKeyOf(headers: Record<string, string>): string | undefined {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = IDEMPOTENCY_KEY.exec(raw.trim())?.[1];
  if (!key)
    throw new ValidationError('the Idempotency-Key header is not valid', [
      { path: 'headers.idempotency-key', message: '1 to 255 printable ASCII characters' },
    ]);
  return key;
}

const fileTicketHandler: RouteHandler<typeof routes.fileTicketRoute> = async (request) => {
  const idempotencyKey = idempotencyKeyOf(request.headers);
  const ticket = await fileTicket(
    request.body,
    filerOf(claimsOf(request)),
    { ...ports, queue },
    {
      ...context(request),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    },
  );
  return json(202, { ticketId: ticket.ticketId, status: ticket.status }, { location: `/tickets/${ticket.ticketId}` });
};

const getTicketHandler: RouteHandler<typeof routes.getTicketRoute> = async (request) => {
  const read = await readTicket(request.params.ticketId, actorOf(claimsOf(request)), ports, context(request));
  return json(200, ticketView(read.ticket, read.reveal));
};

const ticketActionHandler: RouteHandler<typeof routes.ticketActionRoute> = async (request) => {
  const claims = claimsOf(request);
  requireActScope(claims, request.body.action);
  const action = request.body as TicketAction;
  const ticket = await actOnTicket(request.params.ticketId, action, actorOf(claims), ports, context(request));
  return json(200, ticketView(ticket, true));
};

const departmentTicketsHandler: RouteHandler<typeof routes.departmentTicketsRoute> = async (request) => {
  const actor = actorOf(claimsOf(request));
  if (actor.kind !== 'client' || actor.department !== request.params.departmentId) {
    await ports.audit({
      actor: { kind: actor.kind, id: actor.id, clientId: actor.clientId },
      action: 'hotline.department.list',
      resource: `department/${request.params.departmentId}`,
      outcome: 'denied',
      ...context(request),
    });
    throw new ForbiddenError("only the department's own clients list its tickets");
  }
  const filter = {
    ...(request.query.status ? { status: request.query.status as never } : {}),
    ...(request.query.sla ? { sla: request.query.sla as never } : {}),
  };
  const tickets = await ports.tickets.byDepartment(request.params.departmentId, filter);
  return json(200, { tickets: tickets.map(queueItem) });
};

const facade = open311Handlers({ ...ports, queue, apiKeys });
const pages = workQueueHandlers(ports, config[HOTLINE_ENV.issuer]);

/** Each hotline route with its handler; the route key comes from the contract, never retyped. */
const served: [RouteContract, RouteHandler<never>][] = [
  [routes.fileTicketRoute, fileTicketHandler],
  [routes.getTicketRoute, getTicketHandler],
  [routes.ticketActionRoute, ticketActionHandler],
  [routes.departmentTicketsRoute, departmentTicketsHandler],
  [open311.servicesRoute, facade.services],
  [open311.serviceDefinitionRoute, facade.serviceDefinition],
  [open311.postRequestRoute, facade.postRequest],
  [open311.getRequestsRoute, facade.getRequests],
  [open311.getRequestRoute, facade.getRequest],
  ...pages.served,
];
const byRouteKey = new Map(served.map(([contract, run]) => [routeKey(contract), httpHandler(contract, run)]));
const unknownRoute = httpHandler(open311.servicesRoute, async (request) => {
  throw new NotFoundError(`no hotline route ${request.raw.routeKey}`);
});

/** One function serves the hotline routes; API Gateway tells it which by routeKey. */
export const handler = async (event: APIGatewayProxyEventV2, lambdaContext: Context): Promise<HttpResult> =>
  (byRouteKey.get(event.routeKey) ?? unknownRoute)(event, lambdaContext);
