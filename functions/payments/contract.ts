import * as z from 'zod/mini';
import { isValidCreditCode, isValidIdNumber } from '../../shared/identifiers.ts';
import { problemSchema } from '../../shared/problem-schema.ts';
import { defineRoute } from '../../shared/route-contract.ts';
import { genericNoticeSchema } from './channels/generic.ts';

const tags = ['payments'];
const problem = (description: string) => ({
  description,
  schema: problemSchema,
  contentType: 'application/problem+json',
});

const payerSchema = z
  .strictObject({
    kind: z.enum(['citizen', 'enterprise']),
    id: z.string().check(z.minLength(18), z.maxLength(18)),
    name: z.string().check(z.minLength(1), z.maxLength(100)),
    accountId: z.optional(z.string().check(z.regex(/^acc-[0-9a-f-]{36}$/, 'an account id (acc-…)'))),
  })
  .check(
    z.refine(
      (payer) =>
        payer.kind === 'citizen' ? isValidIdNumber(payer.id.toUpperCase()) : isValidCreditCode(payer.id.toUpperCase()),
      { message: 'not a valid resident ID number (citizen) or unified social credit code (enterprise)', path: ['id'] },
    ),
  );

export const newOrderSchema = z.strictObject({
  itemCode: z.string().check(z.regex(/^[a-z0-9-]{1,64}$/)),
  payer: payerSchema,
  amountFen: z.int().check(z.positive('more than 0 fen'), z.lte(Number.MAX_SAFE_INTEGER)),
  description: z.string().check(z.minLength(1), z.maxLength(500)),
  matterId: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,64}$/))),
});

const status = z.enum(['PENDING', 'PAID', 'FAILED', 'EXPIRED', 'REFUND_PENDING', 'REFUNDED']);
export const orderSchema = z.object({
  orderId: z.string(),
  paymentCode: z.string(),
  itemCode: z.string(),
  department: z.string(),
  payer: z.object({ kind: z.string(), id: z.string(), name: z.string(), accountId: z.optional(z.string()) }),
  amountFen: z.int(),
  currency: z.literal('CNY'),
  description: z.string(),
  matterId: z.optional(z.string()),
  status,
  createdAt: z.string(),
  payBy: z.string(),
  paidAt: z.optional(z.string()),
  channel: z.optional(z.string()),
  refund: z.optional(z.object({ requestedAt: z.string(), reason: z.string(), refundedAt: z.optional(z.string()) })),
  receiptId: z.optional(z.string()),
});

export const itemsRoute = defineRoute({
  method: 'GET',
  path: '/payments/items',
  operationId: 'listPaymentItems',
  summary: 'The non-tax revenue items and the departments that may collect each',
  tags,
  auth: 'none',
  responses: {
    200: {
      description: 'The catalogue',
      schema: z.array(z.object({ itemCode: z.string(), name: z.string(), departments: z.array(z.string()) })),
    },
  },
});

export const createOrderRoute = defineRoute({
  method: 'POST',
  path: '/payments/orders',
  operationId: 'createPaymentOrder',
  summary: 'Raise a payment order (a department allowed for the item)',
  tags,
  auth: 'jwt',
  scopes: ['payments:orders'],
  body: newOrderSchema,
  responses: {
    201: {
      description: 'The order, PENDING, with its 20-digit payment code',
      schema: z.object({
        orderId: z.string(),
        paymentCode: z.string(),
        status: z.literal('PENDING'),
        amountFen: z.int(),
        currency: z.literal('CNY'),
        payBy: z.string(),
      }),
    },
    400: problem('Invalid order (unknown item, amount not in 1…ceiling fen, bad identifier)'),
    403: problem('The department may not collect this item'),
  },
});

const orderParams = z.object({
  orderId: z.string().check(z.regex(/^po-\d{20}$/, 'po- and the 20-digit payment code')),
});

export const getOrderRoute = defineRoute({
  method: 'GET',
  path: '/payments/orders/{orderId}',
  operationId: 'getPaymentOrder',
  summary: 'One order: to the department that raised it or its payer',
  tags,
  auth: 'jwt',
  params: orderParams,
  responses: {
    200: { description: 'The order', schema: orderSchema },
    403: problem('Another department or another payer'),
    404: problem('No such order'),
  },
});

export const refundRoute = defineRoute({
  method: 'POST',
  path: '/payments/orders/{orderId}/refund',
  operationId: 'requestPaymentRefund',
  summary: "Ask for a PAID order's refund (REFUND_PENDING until the channel's refund callback)",
  tags,
  auth: 'jwt',
  scopes: ['payments:orders'],
  params: orderParams,
  body: z.strictObject({ reason: z.string().check(z.minLength(1), z.maxLength(500)) }),
  responses: {
    200: { description: 'The order, REFUND_PENDING', schema: orderSchema },
    403: problem('Not the department that raised it'),
    409: problem('The order is not PAID'),
  },
});

export const callbackRoute = defineRoute({
  method: 'POST',
  path: '/payments/callbacks/{channel}',
  operationId: 'paymentChannelCallback',
  summary: "A payment channel's notification, verified by the channel's adapter (generic: HMAC-SHA256; alipay: RSA2)",
  tags,
  auth: 'none',
  params: z.object({ channel: z.string() }),
  responses: {
    200: {
      description: 'Acknowledged (generic: JSON; alipay: the text `success`); a repeat gets the same answer',
      schema: z.object({
        acknowledged: z.literal(true),
        orderStatus: z.optional(status),
        flagged: z.optional(z.string()),
      }),
    },
    400: problem('Malformed notification'),
    401: problem('Missing or forged signature, or a timestamp more than 300 s away'),
    404: problem('Unknown channel, or unknown payment code (flagged)'),
    409: problem(
      'Amount or currency differs from the order, or the same transaction id with another payload (flagged)',
    ),
    503: problem('A dependency is down: retry'),
  },
});

/** The generic channel's body, for the OpenAPI document and the docs. */
export const genericCallbackBody = genericNoticeSchema;
