// A PENDING order written straight to the payments table, and a channel's signed notice of its payment:
// what the bench and the fault test send through the gateway's callback route.
import { genericSignature } from '../functions/payments/channels/generic.ts';
import type { Order } from '../functions/payments/model.ts';
import { newPaymentCode, orderIdOf } from '../functions/payments/payment-code.ts';

/** A 1-yuan market registration fee, payable for an hour, raised by `clientId`. */
export function pendingOrder(clientId: string, description: string): Order {
  const paymentCode = newPaymentCode();
  return {
    orderId: orderIdOf(paymentCode),
    paymentCode,
    itemCode: 'market-registration-fee',
    department: 'dept-market',
    clientId,
    payer: { kind: 'citizen', id: '11010519491231002X', name: '张三' },
    amountFen: 100,
    currency: 'CNY',
    description,
    status: 'PENDING',
    createdAt: new Date().toISOString(),
    payBy: new Date(Date.now() + 3_600_000).toISOString(),
  };
}

/** The generic channel's notice that an order of pendingOrder's was paid, as transaction `channelTxnId`. */
export const paidNotice = (order: Pick<Order, 'paymentCode'>, channelTxnId: string): string =>
  JSON.stringify({
    channelTxnId,
    paymentCode: order.paymentCode,
    amountFen: 100,
    currency: 'CNY',
    status: 'SUCCESS',
    paidAt: new Date().toISOString(),
  });

/** A POST of `raw` signed now with the channel's secret (docs/payments.md, the generic adapter). */
export function signedCallback(
  secret: string,
  raw: string,
  headers: Record<string, string> = {},
): RequestInit & { headers: Record<string, string> } {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-dgov-timestamp': timestamp,
      'x-dgov-signature': `v1=${genericSignature(secret, timestamp, Buffer.from(raw))}`,
      ...headers,
    },
    body: raw,
  };
}
