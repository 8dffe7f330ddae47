import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import type { ChannelAdapter, ChannelConfig, Parsed } from './adapter.ts';

export const TOLERANCE_SECONDS = 300;

/** The generic channel's body (docs/payments.md); REFUNDED is this suite's extension for refund callbacks. */
export const genericNoticeSchema = z.strictObject({
  channelTxnId: z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,64}$/, '1 to 64 letters, digits, _ . : -')),
  paymentCode: z.string().check(z.regex(/^\d{20}$/, '20 digits')),
  amountFen: z.int().check(z.positive(), z.lte(Number.MAX_SAFE_INTEGER)),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'an ISO 4217 code')),
  status: z.enum(['SUCCESS', 'FAILED', 'REFUNDED']),
  paidAt: z.iso.datetime({ offset: true }),
});

/** `v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>` (several v1= entries, comma-separated, during a secret rotation). */
export const genericSignature = (secret: string, timestamp: string, body: Buffer): string =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');

export const genericAdapter: ChannelAdapter<Extract<ChannelConfig, { adapter: 'generic' }>> = {
  contentType: 'application/json',
  signatureHeaders: ['x-dgov-timestamp', 'x-dgov-signature'],
  verify(request, config, now) {
    const timestamp = request.headers['x-dgov-timestamp'];
    const header = request.headers['x-dgov-signature'];
    if (!timestamp || !header) return { ok: false, reason: 'missing-signature' };
    if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-signature' };
    const expected = Buffer.from(genericSignature(config.secret, timestamp, request.body), 'hex');
    const matches = header
      .split(',')
      .map((part) => /^\s*v1=([0-9a-f]{64})\s*$/i.exec(part)?.[1])
      .some((hex) => hex !== undefined && timingSafeEqual(Buffer.from(hex, 'hex'), expected));
    if (!matches) return { ok: false, reason: 'bad-signature' };
    // Checked after the signature: a replay of a genuine old callback is told apart from a forgery.
    if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS)
      return { ok: false, reason: 'stale-timestamp' };
    return { ok: true };
  },
  parse(request): Parsed {
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      return { ok: false, errors: [{ path: 'body', message: 'not valid JSON' }] };
    }
    const parsed = genericNoticeSchema.safeParse(body);
    if (!parsed.success)
      return {
        ok: false,
        errors: parsed.error.issues.map((issue) => ({
          path: ['body', ...issue.path.map(String)].join('.'),
          message: issue.message,
        })),
      };
    return { ok: true, notice: { ...parsed.data, paidAt: new Date(parsed.data.paidAt).toISOString() } };
  },
  ack: (outcome) => ({
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({
      acknowledged: true,
      orderStatus: outcome.orderStatus,
      ...(outcome.flag ? { flagged: outcome.flag } : {}),
    }),
  }),
};
