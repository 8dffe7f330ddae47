import type { SendMessageCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditEmitter, sqsAuditSender } from '../../../shared/audit.ts';
import { queues } from '../../../shared/aws/sqs.ts';
import { sameText } from '../../../shared/constant-time.ts';
import { sqsNotifier } from '../../../functions/licences/adapters/archive.ts';
import { sqsSettlementPublisher } from '../../../functions/payments/adapters/settlement-queue.ts';
import type { SettledEvent } from '../../../functions/payments/model.ts';
import { sqsSafeJson } from '../../../shared/sqs-json.ts';

const settledSample: SettledEvent = {
  type: 'payment.settled',
  orderId: 'O1',
  paymentCode: '12345678901234567890',
  amountFen: 100,
  currency: 'CNY',
  channel: 'generic',
  channelTxnId: 'T1',
  paidAt: '2026-11-30T02:00:00.000Z',
};

/** Defects the fuzz found, each kept as a plain example (the identity one is in identity.test.ts). */

// What the embedded runtime's SQS (fauxqs) takes; real SQS takes more (#x10000–#x10FFFF), never U+FFFE or U+FFFF.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the set fauxqs names, tab, LF and CR among it
const EMULATOR_REFUSES = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('regressions the fuzz found', () => {
  it('an audit event whose resource holds U+FFFF or an emoji (a payments callback path /payments/callbacks/%F0%9F%91%8D) is queued, not a 503', async () => {
    const bodies: string[] = [];
    vi.spyOn(queues, 'send').mockImplementation((async (command: SendMessageCommand) => {
      const body = command.input.MessageBody!;
      if (EMULATOR_REFUSES.test(body))
        throw Object.assign(new Error('Invalid characters found'), { name: 'InvalidMessageContents' });
      bodies.push(body);
      return {};
    }) as never);
    const emit = auditEmitter(sqsAuditSender('http://127.0.0.1:1/000000000000/audit'), 'cn-north-1');
    const resource = 'payment-channel/ 👍\uffff\ufffe𠮷';
    await emit({
      actor: { kind: 'anonymous', id: '203.0.113.9' },
      action: 'payments.callback.refuse',
      resource,
      outcome: 'denied',
      requestId: 'r-1',
    });
    expect(bodies).toHaveLength(1);
    expect(JSON.parse(bodies[0]!).resource).toBe(resource);
  });

  it('a licence revoked with a reason holding U+FFFF or 𠮷 notifies holders; a settlement event likewise: every sender escapes', async () => {
    const bodies: string[] = [];
    const client = {
      send: async (command: SendMessageCommand) => {
        const body = command.input.MessageBody!;
        if (EMULATOR_REFUSES.test(body))
          throw Object.assign(new Error('Invalid characters found'), { name: 'InvalidMessageContents' });
        bodies.push(body);
        return {};
      },
    } as never;
    const revoked = {
      type: 'licence.revoked' as const,
      licenceId: 'L1',
      licenceType: 'business-licence',
      issuer: 'dept-market',
      holder: { kind: 'enterprise' as const, id: '91350100M000100Y43' },
      time: '2026-11-30T02:00:00.000Z',
      reason: '吊销 𠮷\uffff\ufffe',
    };
    await sqsNotifier(client, 'http://127.0.0.1:1/000000000000/notifications')(revoked);
    const settled = { ...settledSample, channelTxnId: 'T-𠮷\uffff' };
    await sqsSettlementPublisher(client, 'http://127.0.0.1:1/000000000000/settlement.fifo')(settled);
    expect(bodies.map((body) => JSON.parse(body))).toEqual([revoked, settled]);
  });

  it('sqsSafeJson: the same JSON value, in characters SQS and its emulator take', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        for (const json of [JSON.stringify(value), JSON.stringify({ text })]) {
          const safe = sqsSafeJson(json);
          expect(EMULATOR_REFUSES.test(safe)).toBe(false);
          expect(JSON.parse(safe)).toEqual(JSON.parse(json));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('GET /hotline/workqueue/callback?state=👍 with a 2-character login cookie state: the states differ, no 500 (sameText compares bytes)', () => {
    // The page compared UTF-16 lengths, then timingSafeEqual threw on buffers of 4 and 2 bytes.
    expect(sameText('👍', 'ab')).toBe(false);
    expect(sameText('é', 'e')).toBe(false);
    expect(sameText('state-1', 'state-1')).toBe(true);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(sameText(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)));
      }),
      { numRuns: 500 },
    );
  });
});
