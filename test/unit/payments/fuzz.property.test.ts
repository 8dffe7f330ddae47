import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { genericSignature } from '../../../functions/payments/channels/generic.ts';
import { isValidPaymentCode, luhnCheckDigit, newPaymentCode } from '../../../functions/payments/payment-code.ts';
import { receiveCallback } from '../../../functions/payments/use-cases/callback.ts';
import { DomainError } from '../../../shared/errors.ts';
import { GENERIC_SECRET, NOW, paymentsWorld } from '../../support/payments-world.ts';

describe('payment codes', () => {
  it('are 20 digits with a valid check digit, and any single mistyped digit is caught', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 1, max: 9 }), (position, shift) => {
        const code = newPaymentCode();
        expect(isValidPaymentCode(code)).toBe(true);
        const digits = [...code];
        digits[position] = String((Number(digits[position]) + shift) % 10);
        const typo = digits.join('');
        return typo[0] === '0' || !isValidPaymentCode(typo);
      }),
      { numRuns: 500 },
    );
    expect(luhnCheckDigit('7992739871')).toBe('3');
  });
});

describe('callbacks with arbitrary bodies and headers', () => {
  it('answer a 4xx problem or 200, never anything else, and a PENDING order stays PENDING unless paid exactly', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const timestamp = String(Math.floor(NOW.getTime() / 1000));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc
            .record({
              channelTxnId: fc.string(),
              paymentCode: fc.constantFrom(order.paymentCode, '12345678901234567890', ''),
              amountFen: fc.oneof(fc.integer(), fc.double(), fc.constant(12_345)),
              currency: fc.constantFrom('CNY', 'USD', 'cny'),
              status: fc.constantFrom('SUCCESS', 'FAILED', 'X'),
              paidAt: fc.constantFrom('2026-11-30T01:59:00Z', 'yesterday'),
            })
            .map((body) => JSON.stringify(body)),
        ),
        fc.boolean(),
        async (text, signed) => {
          const body = Buffer.from(text);
          const headers: Record<string, string> = {
            'x-dgov-timestamp': timestamp,
            'x-dgov-signature': signed ? `v1=${genericSignature(GENERIC_SECRET, timestamp, body)}` : 'v1=00',
          };
          try {
            const answer = await receiveCallback('bank', { headers, body }, world.deps, { requestId: 'fuzz' });
            expect(answer.statusCode).toBe(200);
          } catch (error) {
            expect(error).toBeInstanceOf(DomainError);
            expect((error as DomainError).status).toBeGreaterThanOrEqual(400);
            expect((error as DomainError).status).toBeLessThan(500);
          }
          const status = world.orders.get(order.orderId)!.status;
          const paidExactly = [...world.txns.values()].some(
            (txn) =>
              txn.paymentCode === order.paymentCode &&
              txn.amountFen === 12_345 &&
              txn.currency === 'CNY' &&
              txn.status !== 'REFUNDED',
          );
          return status === 'PENDING' || paidExactly;
        },
      ),
      { numRuns: 300 },
    );
  });
});
