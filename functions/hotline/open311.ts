import * as z from 'zod/mini';
import { defineRoute } from '../../shared/route-contract.ts';
import { CATEGORIES, CITIES, type Category, categoryOf } from './catalogue.ts';
import { description, locationSchema, phone } from './contract.ts';
import type { Ticket } from './model.ts';

/**
 * The Open311 GeoReport v2 facade (JSON): services are the category catalogue, requests are tickets.
 * The location's division travels as the service definition's attributes `cityCode` (required) and
 * `districtCode`, as GeoReport v2 intends for data beyond its standard fields.
 */
export const service = (category: Category) => ({
  service_code: category.code,
  service_name: category.name,
  description: category.description,
  metadata: true,
  type: 'realtime',
  keywords: category.group,
  group: category.group,
});

export const serviceDefinition = (category: Category) => ({
  service_code: category.code,
  attributes: [
    {
      variable: true,
      code: 'cityCode',
      datatype: 'singlevaluelist',
      required: true,
      datatype_description: 'The prefecture-level city (GB/T 2260)',
      order: 1,
      description: '所在城市',
      values: CITIES.map((city) => ({ key: city.code, name: city.name })),
    },
    {
      variable: true,
      code: 'districtCode',
      datatype: 'string',
      required: false,
      datatype_description: 'The district or county (GB/T 2260 six digits)',
      order: 2,
      description: '所在区县',
    },
  ],
});

const optionalNumber = (min: number, max: number) =>
  z.optional(
    z.pipe(
      z.pipe(z.string().check(z.regex(/^-?\d{1,3}(\.\d{1,10})?$/, 'a decimal number')), z.transform(Number)),
      z.number().check(z.gte(min), z.lte(max)),
    ),
  );

/** The form of POST requests.json, checked field by field after the api_key. */
export const open311RequestSchema = z.object({
  service_code: z.string().check(z.refine((code) => !!categoryOf(code), 'unknown service_code')),
  description,
  phone,
  first_name: z.optional(z.string().check(z.maxLength(25))),
  last_name: z.optional(z.string().check(z.maxLength(25))),
  address_string: z.optional(z.string().check(z.maxLength(200))),
  lat: optionalNumber(-90, 90),
  long: optionalNumber(-180, 180),
  'attribute[cityCode]': z.string(),
  'attribute[districtCode]': z.optional(z.string()),
});
export type Open311Request = z.infer<typeof open311RequestSchema>;

/** The ticket's location from the form, checked by the same schema as POST /tickets. */
export const locationOf = (form: Open311Request) =>
  locationSchema.safeParse({
    cityCode: form['attribute[cityCode]'],
    ...(form['attribute[districtCode]'] ? { districtCode: form['attribute[districtCode]'] } : {}),
    ...(form.address_string ? { address: form.address_string } : {}),
    ...(form.lat !== undefined ? { lat: form.lat } : {}),
    ...(form.long !== undefined ? { lon: form.long } : {}),
  });

const CLOSED = new Set(['RESOLVED', 'CLOSED', 'DUPLICATE']);
/** A ticket as a GeoReport v2 service request; never the contact's phone or name. */
export const serviceRequest = (ticket: Ticket) => ({
  service_request_id: ticket.ticketId,
  status: CLOSED.has(ticket.status) ? 'closed' : 'open',
  status_notes: ticket.reply ?? ticket.status,
  service_name: categoryOf(ticket.category)?.name ?? ticket.category,
  service_code: ticket.category,
  description: ticket.description,
  agency_responsible: ticket.department ?? null,
  service_notice: ticket.duplicateOf ? `duplicate of ${ticket.duplicateOf}` : null,
  requested_datetime: ticket.createdAt,
  updated_datetime: ticket.history.at(-1)?.at ?? ticket.createdAt,
  expected_datetime: ticket.slaDueAt ?? null,
  address: ticket.location.address ?? null,
  address_id: ticket.location.districtCode ?? ticket.location.cityCode,
  zipcode: null,
  lat: ticket.location.lat ?? null,
  long: ticket.location.lon ?? null,
  media_url: null,
});

/** GeoReport v2's error list. */
export const open311Errors = (code: number, descriptions: string[]) =>
  descriptions.map((text) => ({ code, description: text }));

const tags = ['open311'];
const errorList = z.array(z.object({ code: z.number(), description: z.string() }));
const form = z.record(z.string(), z.string());
const serviceCodeParams = z.object({ service_code: z.string() });
const requestIdParams = z.object({ service_request_id: z.string() });
const anyArray = z.array(z.record(z.string(), z.unknown()));

export const servicesRoute = defineRoute({
  method: 'GET',
  path: '/open311/v2/services.json',
  operationId: 'open311Services',
  summary: 'GeoReport v2: the service list (the 12345 category catalogue)',
  tags,
  auth: 'none',
  responses: { 200: { description: 'Services', schema: anyArray } },
});
export const serviceDefinitionRoute = defineRoute({
  method: 'GET',
  // API Gateway parameters are whole segments: the handler takes `.json` off `{service_code}.json`.
  path: '/open311/v2/services/{service_code}',
  operationId: 'open311ServiceDefinition',
  summary: 'GeoReport v2: a service definition, at {service_code}.json (its attributes: cityCode, districtCode)',
  tags,
  auth: 'none',
  params: serviceCodeParams,
  responses: {
    200: { description: 'Definition', schema: z.record(z.string(), z.unknown()) },
    404: { description: 'Unknown service', schema: errorList },
  },
});
export const postRequestRoute = defineRoute({
  method: 'POST',
  path: '/open311/v2/requests.json',
  operationId: 'open311PostRequest',
  summary: 'GeoReport v2: file a service request (form-encoded, api_key of an open311 client)',
  tags,
  auth: 'none',
  body: form,
  bodyType: 'form',
  responses: {
    201: { description: 'Filed', schema: anyArray },
    400: { description: 'Open311 error list', schema: errorList },
  },
});
export const getRequestsRoute = defineRoute({
  method: 'GET',
  path: '/open311/v2/requests.json',
  operationId: 'open311GetRequests',
  summary:
    "GeoReport v2: the api_key client's requests (service_request_id, service_code, status, start_date, end_date)",
  tags,
  auth: 'none',
  query: form,
  responses: {
    200: { description: 'Requests', schema: anyArray },
    401: { description: 'Open311 error list', schema: errorList },
  },
});
export const getRequestRoute = defineRoute({
  method: 'GET',
  path: '/open311/v2/requests/{service_request_id}',
  operationId: 'open311GetRequest',
  summary: 'GeoReport v2: one service request, at {service_request_id}.json',
  tags,
  auth: 'none',
  params: requestIdParams,
  query: form,
  responses: {
    200: { description: 'The request, in a list of one', schema: anyArray },
    404: { description: 'Open311 error list', schema: errorList },
  },
});

export const SERVICES = CATEGORIES.map(service);

/** `housing.property.json` → `housing.property`: the format suffix of a GeoReport path segment. */
export const withoutFormat = (segment: string): string | undefined =>
  segment.endsWith('.json') ? segment.slice(0, -'.json'.length) : undefined;
