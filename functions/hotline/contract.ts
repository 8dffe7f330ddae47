import * as z from 'zod/mini';
import { isValidMobile } from '../../shared/identifiers.ts';
import { defineRoute } from '../../shared/route-contract.ts';
import { categoryOf, cityOfDistrict, isCity } from './catalogue.ts';
import { CHANNELS, TICKET_STATUSES } from './model.ts';
import { SLA_STATES } from './sla.ts';

export const MAX_DESCRIPTION = 5000;
/** +86 / 0086 and separators are tolerated on input; the stored phone is the 11 digits. */
export const normalPhone = (value: string) => value.replace(/[\s-]/g, '').replace(/^(\+86|0086)/, '');

const category = z
  .string()
  .check(z.refine((code) => !!categoryOf(code), 'unknown category (GET /open311/v2/services.json lists them)'));
const text = (max: number) =>
  z.string().check(
    z.refine((value) => value.trim().length > 0, 'must not be empty'),
    z.maxLength(max, `at most ${max} characters`),
  );
export const description = text(MAX_DESCRIPTION);
export const phone = z.pipe(
  z.string().check(
    z.maxLength(20),
    z.refine((value) => isValidMobile(normalPhone(value)), 'not a mainland mobile number'),
  ),
  z.transform(normalPhone),
);

export const locationSchema = z
  .strictObject({
    cityCode: z.string().check(z.refine(isCity, 'not a prefecture-level city of Shandong (GB/T 2260, e.g. 370100)')),
    districtCode: z.optional(
      z.string().check(z.refine((code) => !!cityOfDistrict(code), 'not a district of Shandong (GB/T 2260)')),
    ),
    address: z.optional(z.string().check(z.maxLength(200))),
    lat: z.optional(z.number().check(z.gte(-90), z.lte(90))),
    lon: z.optional(z.number().check(z.gte(-180), z.lte(180))),
  })
  .check(
    z.refine((location) => !location.districtCode || cityOfDistrict(location.districtCode) === location.cityCode, {
      message: 'the district is not in that city',
      path: ['districtCode'],
    }),
  );

export const newTicketSchema = z.strictObject({
  category,
  description,
  location: locationSchema,
  contact: z.strictObject({ phone, name: z.optional(text(50)) }),
  channel: z.enum(CHANNELS.filter((channel) => channel !== 'open311') as ['phone', 'app', 'wechat', 'web']),
  urgency: z.optional(z.enum(['normal', 'urgent'])),
});

const reason = text(500);
export const actionSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('accept') }),
  z.strictObject({ action: z.literal('transfer'), department: z.string().check(z.maxLength(64)), reason }),
  z.strictObject({ action: z.literal('extend'), days: z.number().check(z.int(), z.gte(1), z.lte(15)), reason }),
  z.strictObject({ action: z.literal('resolve'), reply: text(MAX_DESCRIPTION) }),
  z.strictObject({
    action: z.literal('close'),
    rating: z.number().check(z.int(), z.gte(1), z.lte(5)),
    comment: z.optional(text(500)),
  }),
  z.strictObject({ action: z.literal('reopen'), reason }),
]);

const ticketId = z.string().check(z.regex(/^\d{8}-[0-9a-z]{10}$/, 'not a ticket id'));
const ticketParams = z.strictObject({ ticketId });
const historyEntry = z.object({ at: z.string(), action: z.string(), by: z.string(), status: z.string() });
const ticketOut = z.object({
  ticketId: z.string(),
  status: z.enum(TICKET_STATUSES as [string, ...string[]]),
  department: z.nullable(z.string()),
  slaDueAt: z.nullable(z.string()),
  slaState: z.enum(SLA_STATES as [string, ...string[]]),
  escalated: z.boolean(),
  history: z.array(historyEntry),
});
const tags = ['hotline'];

export const fileTicketRoute = defineRoute({
  method: 'POST',
  path: '/tickets',
  operationId: 'fileTicket',
  summary: 'File a 12345 ticket (a citizen, or a channel client: call centre, app, WeChat); routed asynchronously',
  tags,
  auth: 'jwt',
  body: newTicketSchema,
  responses: {
    202: {
      description: 'Received; routing follows',
      schema: z.object({ ticketId: z.string(), status: z.literal('RECEIVED') }),
    },
  },
});
export const getTicketRoute = defineRoute({
  method: 'GET',
  path: '/tickets/{ticketId}',
  operationId: 'getTicket',
  summary: 'A ticket, for its filer or the department responsible',
  tags,
  auth: 'jwt',
  params: ticketParams,
  responses: { 200: { description: 'The ticket', schema: ticketOut }, 404: { description: 'No such ticket' } },
});
export const ticketActionRoute = defineRoute({
  method: 'POST',
  path: '/tickets/{ticketId}/actions',
  operationId: 'actOnTicket',
  summary: 'accept, transfer, extend, resolve (the department); close, reopen (the filer)',
  tags,
  auth: 'jwt',
  params: ticketParams,
  body: actionSchema,
  responses: {
    200: { description: 'The ticket after the action', schema: ticketOut },
    404: { description: 'No such ticket' },
    409: { description: 'The state machine does not allow it, or the ticket changed meanwhile' },
  },
});
export const departmentTicketsRoute = defineRoute({
  method: 'GET',
  path: '/departments/{departmentId}/tickets',
  operationId: 'departmentTickets',
  summary: "A department's work queue, filterable by status and SLA state",
  tags,
  auth: 'jwt',
  scopes: ['tickets:act'],
  params: z.strictObject({ departmentId: z.string().check(z.regex(/^dept-[a-z0-9-]{1,40}$/)) }),
  query: z.strictObject({
    status: z.optional(z.enum(TICKET_STATUSES as [string, ...string[]])),
    sla: z.optional(z.enum(SLA_STATES as [string, ...string[]])),
  }),
  responses: {
    200: {
      description: 'Tickets, newest first',
      schema: z.object({
        tickets: z.array(z.object({ ticketId: z.string(), status: z.string(), slaState: z.string() })),
      }),
    },
  },
});
