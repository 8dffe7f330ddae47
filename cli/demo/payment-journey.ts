import { createHmac } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { expectStatus, JourneyError, until, type Api } from './http.ts';
import { clientToken, type Person, type Province } from './province.ts';
import { type Recorder, success } from './record.ts';

/** What journey 2 leaves behind, for the tests and for journey 3. */
export interface PaymentRecord {
  orderId: string;
  paymentCode: string;
  amountFen: number;
  /** The two simultaneous deliveries of one callback: status and body of each. */
  callbacks: { status: number; body: string }[];
  orderStatus: string;
  receiptId: string;
  listedByCitizen: boolean;
  /** Payment receipts the (new) citizen holds: one payment, one receipt. */
  receiptsHeld: number;
  verifiedBefore: { valid: boolean; checks: Record<string, boolean> };
  revokedStatus: string;
  verifiedAfter: { valid: boolean; checks: Record<string, boolean>; reasons: string[] };
  statusList: { url: string; index: number; revoked: boolean };
}

/** The generic channel's signature (docs/payments.md): HMAC-SHA256 over `timestamp.body`. */
export const channelSignature = (secret: string, timestamp: string, raw: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex');

/**
 * Journey 2: dept-market raises a payment order for the citizen's enterprise registration fee; the
 * channel calls back twice at the same moment; the order is PAID once; the settlement consumer has
 * dept-finance's receipt licence issued; the citizen lists it; a third party verifies the presented
 * receipt; dept-finance revokes it; verifying says revoked, and so does the public status list.
 */
export async function paymentJourney(
  province: Province,
  recorder: Recorder,
  payer: { person: Person; token: string },
  options: { receiptTimeoutMs?: number } = {},
): Promise<PaymentRecord> {
  const { api } = province;
  // The verifier keeps the published seal keys, to check receipts offline too. (Asking first also has
  // the licences function started before the settlement consumer needs it: a first receipt attempt
  // that times out is retried only after the settlement queue's visibility timeout.)
  const [market, finance, sealKeys] = await Promise.all([
    clientToken(province, 'demo-department', 'payments:orders'),
    clientToken(province, 'payments-receipts', 'licences:issue'),
    api.get('/licences/seal-keys'),
  ]);
  const keys = (expectStatus(sealKeys, 200, 'the seal keys').body.keys as { alg: string; kid: string }[]) ?? [];
  recorder.step(
    'payment',
    'a third party (a bank, no account)',
    'fetches the published seal keys',
    keys.map((key) => `${key.alg} ${key.kid.slice(0, 12)}…`).join(', '),
  );
  const amountFen = 30_000;
  const raised = expectStatus(
    await api.post(
      '/payments/orders',
      {
        itemCode: 'market-registration-fee',
        payer: {
          kind: 'citizen',
          id: payer.person.idNumber,
          name: payer.person.name,
          accountId: payer.person.accountId,
        },
        amountFen,
        description: '个体工商户登记费',
      },
      market,
    ),
    201,
    'dept-market raises a payment order',
  );
  const orderId = String(raised.body.orderId);
  const paymentCode = String(raised.body.paymentCode);
  recorder.step(
    'payment',
    'dept-market (demo-department)',
    `raises a payment order of ¥${amountFen / 100} for ${payer.person.name}`,
    `${orderId}, payment code ${paymentCode}, ${raised.body.status}`,
    [success('payments.order.create', `payment-order/${orderId}`, 'demo-department')],
  );

  const notice = JSON.stringify({
    channelTxnId: `DEMO-${paymentCode}`,
    paymentCode,
    amountFen,
    currency: 'CNY',
    status: 'SUCCESS',
    paidAt: new Date().toISOString(),
  });
  const deliver = () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    return api.call(`/payments/callbacks/${province.channel.id}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-dgov-timestamp': timestamp,
        'x-dgov-signature': `v1=${channelSignature(province.channel.secret, timestamp, notice)}`,
      },
      body: notice,
    });
  };
  const callbacks = (await Promise.all([deliver(), deliver()])).map((answer) => ({
    status: answer.status,
    body: answer.text,
  }));
  recorder.step(
    'payment',
    `channel ${province.channel.id}`,
    'calls back twice at the same moment',
    callbacks.map((c) => `${c.status} ${c.body}`).join(' | '),
    [success('payments.order.paid', `payment-order/${orderId}`, `channel:${province.channel.id}`)],
  );
  for (const callback of callbacks)
    if (callback.status !== 200) throw new JourneyError(`a callback answered ${callback.status}: ${callback.body}`);

  const paid = await until(
    () => api.get(`/payments/orders/${orderId}`, market),
    (answer) => answer.status === 200 && typeof answer.body.receiptId === 'string',
    `the receipt of ${orderId}`,
    options.receiptTimeoutMs ?? 30_000,
  );
  const receiptId = String(paid.body.receiptId);
  recorder.step(
    'payment',
    'the settlement consumer (as dept-finance)',
    'has the receipt licence issued',
    `order ${paid.body.status}, receipt ${receiptId}`,
    [
      success('payments.receipt.issue', `payment-order/${orderId}`, 'payments-receipts'),
      success('licence.issued', `licence/${receiptId}`, 'payments-receipts'),
    ],
  );

  const mine = expectStatus(await api.get('/licences?holder=me', payer.token), 200, 'the citizen lists their licences');
  const held = mine.body.licences as { licenceId: string; type: string }[];
  const listedByCitizen = held.some((licence) => licence.licenceId === receiptId);
  const receiptsHeld = held.filter((licence) => licence.type === 'payment-receipt').length;
  recorder.step(
    'payment',
    `citizen ${payer.person.name}`,
    'lists their licences',
    `${listedByCitizen ? `the receipt ${receiptId} is there` : 'the receipt is NOT there'}; ${receiptsHeld} payment receipt(s) in all`,
  );

  const presented = expectStatus(
    await api.get(`/licences/${receiptId}`, payer.token),
    200,
    'the citizen reads the receipt',
  );
  const verdict = (answer: { body: Record<string, unknown> }) => ({
    valid: answer.body.valid === true,
    checks: answer.body.checks as Record<string, boolean>,
    reasons: (answer.body.reasons as string[] | undefined) ?? [],
  });
  const verifiedBefore = verdict(
    expectStatus(
      await api.post('/licences/verify', { document: presented.body.document, seal: presented.body.seal }),
      200,
      'a third party verifies the presented receipt',
    ),
  );
  recorder.step(
    'payment',
    'the third party',
    'verifies the receipt the citizen presents',
    verifiedBefore.valid ? 'valid' : `NOT valid: ${verifiedBefore.reasons.join('; ')}`,
  );

  const revoked = expectStatus(
    await api.post(`/licences/${receiptId}/revoke`, { reason: '缴款已退回 (payment returned)' }, finance),
    200,
    'dept-finance revokes the receipt',
  );
  recorder.step('payment', 'dept-finance (payments-receipts)', 'revokes the receipt', String(revoked.body.status), [
    success('licence.revoked', `licence/${receiptId}`, 'payments-receipts'),
  ]);

  const verifiedAfter = verdict(
    expectStatus(
      await api.post('/licences/verify', { document: presented.body.document, seal: presented.body.seal }),
      200,
      'the third party verifies again',
    ),
  );
  const statusList = await statusListBit(api, presented.body.document as Record<string, unknown>);
  recorder.step(
    'payment',
    'the third party',
    'verifies again, and reads the public status list',
    `${verifiedAfter.valid ? 'valid' : verifiedAfter.reasons.join('; ')}; status list bit ${statusList.index}: ${statusList.revoked ? 'revoked' : 'not revoked'}`,
  );
  return {
    orderId,
    paymentCode,
    amountFen,
    callbacks,
    orderStatus: String(paid.body.status),
    receiptId,
    listedByCitizen,
    receiptsHeld,
    verifiedBefore,
    revokedStatus: String(revoked.body.status),
    verifiedAfter,
    statusList,
  };
}

/** The licence's bit in its W3C Bitstring Status List (GZIP, base64url, multibase `u`, MSB first). */
async function statusListBit(api: Api, document: Record<string, unknown>) {
  const entry = document.credentialStatus as { statusListCredential: string; statusListIndex: string };
  const url = entry.statusListCredential;
  const list = expectStatus(await api.absolute(url), 200, 'the status list');
  const encoded = String((list.body.credentialSubject as { encodedList: string }).encodedList);
  const bits = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
  const index = Number(entry.statusListIndex);
  return { url, index, revoked: ((bits[index >> 3]! >> (7 - (index & 7))) & 1) === 1 };
}
