import { DomainError, ValidationError } from '../../shared/errors.ts';
import { json, type HttpResult, type RouteHandler } from '../../shared/http.ts';
import { categoryOf } from './catalogue.ts';
import type { Actor } from './model.ts';
import {
  type getRequestRoute,
  type getRequestsRoute,
  locationOf,
  open311Errors,
  open311RequestSchema,
  type postRequestRoute,
  SERVICES,
  serviceDefinition,
  type serviceDefinitionRoute,
  serviceRequest,
  type servicesRoute,
  withoutFormat,
} from './open311.ts';
import type { ApiKeys, HotlinePorts, RoutingQueue } from './ports.ts';
import { fileTicket } from './use-cases/intake.ts';

class Open311Error extends Error {
  constructor(
    readonly status: number,
    readonly descriptions: string[],
    readonly headers: Record<string, string> = {},
  ) {
    super(descriptions.join('; '));
  }
}

/** GeoReport v2 answers errors as its own list, `[{ code, description }]`, not as problem+json. */
const open311 = (run: () => Promise<HttpResult>): Promise<HttpResult> =>
  run().catch((error: unknown) => {
    if (error instanceof Open311Error)
      return json(error.status, open311Errors(error.status, error.descriptions), error.headers);
    if (error instanceof ValidationError && error.errors.length)
      return json(
        400,
        open311Errors(
          400,
          error.errors.map((e) => `${e.path}: ${e.message}`),
        ),
      );
    if (error instanceof DomainError && error.status < 500)
      return json(error.status, open311Errors(error.status, [error.detail]), error.headers);
    throw error; // 5xx stay problem+json with Retry-After, through the shared envelope
  });

const fieldErrors = (issues: { path: PropertyKey[]; message: string }[]) =>
  issues.map((issue) => `${issue.path.map(String).join('.') || 'request'}: ${issue.message}`);

export function open311Handlers(ports: HotlinePorts & { queue: RoutingQueue; apiKeys: ApiKeys }) {
  const clientOf = async (apiKey: string | undefined): Promise<Actor> => {
    const client = apiKey ? await ports.apiKeys(apiKey) : undefined;
    if (!client) throw new Open311Error(401, ['api_key is missing or not valid'], { 'www-authenticate': 'api_key' });
    return {
      kind: 'client',
      id: client.clientId,
      clientId: client.clientId,
      ...(client.department ? { department: client.department } : {}),
    };
  };
  const context = (request: { requestId: string; sourceIp?: string }) => ({
    requestId: request.requestId,
    ...(request.sourceIp ? { sourceIp: request.sourceIp } : {}),
  });

  const services: RouteHandler<typeof servicesRoute> = async () => json(200, SERVICES);

  const definition: RouteHandler<typeof serviceDefinitionRoute> = (request) =>
    open311(async () => {
      const category = categoryOf(withoutFormat(request.params.service_code) ?? '');
      if (!category) throw new Open311Error(404, [`no service ${request.params.service_code}`]);
      return json(200, serviceDefinition(category));
    });

  const postRequest: RouteHandler<typeof postRequestRoute> = (request) =>
    open311(async () => {
      const form = request.body as Record<string, string>;
      const filer = await clientOf(form.api_key);
      const parsed = open311RequestSchema.safeParse(form);
      if (!parsed.success) throw new Open311Error(400, fieldErrors(parsed.error.issues));
      const location = locationOf(parsed.data);
      if (!location.success)
        throw new Open311Error(
          400,
          fieldErrors(location.error.issues).map((e) => `location.${e}`),
        );
      const name = [parsed.data.last_name, parsed.data.first_name].filter(Boolean).join('');
      const ticket = await fileTicket(
        {
          category: parsed.data.service_code,
          description: parsed.data.description,
          location: location.data,
          contact: { phone: parsed.data.phone, ...(name ? { name } : {}) },
          channel: 'open311',
        },
        filer,
        ports,
        context(request),
      );
      return json(201, [
        {
          service_request_id: ticket.ticketId,
          service_notice: 'received; routing to the responsible department',
          account_id: null,
        },
      ]);
    });

  const getRequests: RouteHandler<typeof getRequestsRoute> = (request) =>
    open311(async () => {
      const query = request.query as Record<string, string | undefined>;
      const client = await clientOf(query.api_key);
      const filer = `client#${client.id}`;
      const ids = query.service_request_id
        ?.split(',')
        .map((id) => id.trim())
        .filter(Boolean)
        .slice(0, 50);
      const tickets = ids
        ? (
            await Promise.all(ids.map((id) => (/^\d{8}-[0-9a-z]{10}$/.test(id) ? ports.tickets.get(id) : undefined)))
          ).filter((ticket) => ticket !== undefined)
        : await ports.tickets.byFiler(filer, 1000);
      const visible = tickets
        .filter((ticket) => `${ticket.filer.kind}#${ticket.filer.id}` === filer)
        .map(serviceRequest)
        .filter(
          (item) =>
            (!query.service_code || item.service_code === query.service_code) &&
            (!query.status || item.status === query.status) &&
            (!query.start_date || item.requested_datetime >= query.start_date) &&
            (!query.end_date || item.requested_datetime <= query.end_date),
        );
      return json(200, visible.slice(0, 1000));
    });

  const getRequest: RouteHandler<typeof getRequestRoute> = (request) =>
    open311(async () => {
      const client = await clientOf((request.query as Record<string, string | undefined>).api_key);
      const id = withoutFormat(request.params.service_request_id) ?? '';
      const ticket = /^\d{8}-[0-9a-z]{10}$/.test(id) ? await ports.tickets.get(id) : undefined;
      // Another client's request is as unknown as a missing one: ids are not an oracle.
      if (ticket?.filer.kind !== 'client' || ticket.filer.id !== client.id)
        throw new Open311Error(404, [`no service request ${id}`]);
      return json(200, [serviceRequest(ticket)]);
    });

  return { services, serviceDefinition: definition, postRequest, getRequests, getRequest };
}
