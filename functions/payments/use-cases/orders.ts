import { ForbiddenError, NotFoundError, ValidationError, ConflictError } from '../../../shared/errors.ts';
import { itemByCode } from '../items.ts';
import { CURRENCY, type Order, type Payer } from '../model.ts';
import { newPaymentCode, orderIdOf } from '../payment-code.ts';
import type { PaymentsDeps } from '../ports.ts';

/** Who calls, from the access token: a department's client, or a person (`sub` is their account). */
export interface Caller {
  clientId: string;
  sub: string;
  department?: string;
}

export interface NewOrder {
  itemCode: string;
  payer: Payer;
  amountFen: number;
  description: string;
  matterId?: string;
}

export interface OrderPolicy {
  maxAmountFen: number;
  orderTtlMinutes: number;
}

type Deps = Pick<PaymentsDeps, 'store' | 'audit' | 'now'>;

export async function createOrder(input: NewOrder, caller: Caller, policy: OrderPolicy, deps: Deps, requestId: string) {
  const item = itemByCode(input.itemCode);
  const deny = async (detail: string) => {
    await deps.audit({
      actor: { kind: 'client', id: caller.sub, clientId: caller.clientId },
      action: 'payments.order.create',
      resource: `payment-item/${input.itemCode}`,
      outcome: 'denied',
      requestId,
    });
    return new ForbiddenError(detail);
  };
  if (!item)
    throw new ValidationError('unknown item', [{ path: 'body.itemCode', message: 'not in GET /payments/items' }]);
  if (!caller.department) throw await deny('only a department client raises payment orders');
  if (!item.departments.includes(caller.department))
    throw await deny(`${caller.department} may not collect ${item.itemCode}`);
  if (input.amountFen > policy.maxAmountFen)
    throw new ValidationError('the amount is over the ceiling', [
      { path: 'body.amountFen', message: `at most ${policy.maxAmountFen} fen` },
    ]);

  const now = deps.now();
  for (let attempt = 0; attempt < 3; attempt++) {
    const paymentCode = newPaymentCode();
    const order: Order = {
      orderId: orderIdOf(paymentCode),
      paymentCode,
      itemCode: item.itemCode,
      department: caller.department,
      clientId: caller.clientId,
      payer: { ...input.payer, id: input.payer.id.toUpperCase() },
      amountFen: input.amountFen,
      currency: CURRENCY,
      description: input.description,
      ...(input.matterId ? { matterId: input.matterId } : {}),
      status: 'PENDING',
      createdAt: now.toISOString(),
      payBy: new Date(now.getTime() + policy.orderTtlMinutes * 60_000).toISOString(),
    };
    await deps.audit({
      actor: { kind: 'client', id: caller.sub, clientId: caller.clientId },
      action: 'payments.order.create',
      resource: `payment-order/${order.orderId}`,
      outcome: 'success',
      requestId,
    });
    // 10^19 codes: a collision is all but impossible, and then simply another code.
    if ((await deps.store.createOrder(order)) === 'created') return order;
  }
  throw new ConflictError('no free payment code; try again');
}

const mayRead = (order: Order, caller: Caller) =>
  (caller.department !== undefined && caller.department === order.department) ||
  (caller.department === undefined && order.payer.accountId !== undefined && caller.sub === order.payer.accountId);

/** The order, to its department or its payer; a PENDING order past its payBy is EXPIRED (one conditional write). */
export async function readOrder(orderId: string, caller: Caller, deps: Deps, requestId: string): Promise<Order> {
  const order = await deps.store.order(orderId);
  if (!order) throw new NotFoundError(`no payment order ${orderId}`);
  if (!mayRead(order, caller)) {
    await deps.audit({
      actor: { kind: caller.department ? 'client' : 'citizen', id: caller.sub, clientId: caller.clientId },
      action: 'payments.order.read',
      resource: `payment-order/${orderId}`,
      outcome: 'denied',
      requestId,
    });
    throw new ForbiddenError('only the department that raised the order or its payer may read it');
  }
  if (order.status === 'PENDING' && order.payBy <= deps.now().toISOString()) {
    await deps.store.transition(orderId, 'PENDING', 'EXPIRED');
    return (await deps.store.order(orderId)) ?? order;
  }
  return order;
}

/** PAID → REFUND_PENDING, asked by the order's department; the channel's refund callback completes it. */
export async function requestRefund(orderId: string, reason: string, caller: Caller, deps: Deps, requestId: string) {
  const order = await deps.store.order(orderId);
  if (!order) throw new NotFoundError(`no payment order ${orderId}`);
  const audit = (outcome: 'success' | 'denied') =>
    deps.audit({
      actor: { kind: 'client', id: caller.sub, clientId: caller.clientId },
      action: 'payments.order.refund-request',
      resource: `payment-order/${orderId}`,
      outcome,
      requestId,
    });
  if (caller.department !== order.department) {
    await audit('denied');
    throw new ForbiddenError('only the department that raised the order may refund it');
  }
  if (order.status === 'REFUND_PENDING') return order;
  if (order.status !== 'PAID') throw new ConflictError(`an order that is ${order.status} cannot be refunded`);
  await audit('success');
  const refund = { requestedAt: deps.now().toISOString(), reason };
  if (!(await deps.store.transition(orderId, 'PAID', 'REFUND_PENDING', { refund }))) {
    const now = await deps.store.order(orderId);
    if (now?.status !== 'REFUND_PENDING') throw new ConflictError(`the order is ${now?.status} now`);
    return now;
  }
  return { ...order, status: 'REFUND_PENDING' as const, refund };
}

/** What the API shows of an order. */
export const orderView = (order: Order) => ({
  orderId: order.orderId,
  paymentCode: order.paymentCode,
  itemCode: order.itemCode,
  department: order.department,
  payer: order.payer,
  amountFen: order.amountFen,
  currency: order.currency,
  description: order.description,
  ...(order.matterId ? { matterId: order.matterId } : {}),
  status: order.status,
  createdAt: order.createdAt,
  payBy: order.payBy,
  ...(order.paid ? { paidAt: order.paid.paidAt, channel: order.paid.channel } : {}),
  ...(order.refund ? { refund: order.refund } : {}),
  ...(order.receiptId ? { receiptId: order.receiptId } : {}),
});
