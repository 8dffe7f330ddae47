import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditTarget } from '../../../cli/audit-target.ts';
import { clientToken, type Province } from '../../../cli/demo/province.ts';
import { type JourneysRecord, problems, runJourneys } from '../../../cli/demo/journeys.ts';
import { provinceFrom } from '../../../cli/demo/setup.ts';
import { target } from '../../support/target.ts';
import { withTrailLock } from '../../support/trail-lock.ts';

/**
 * The three journeys of `npx dgov demo` (cli/demo/journeys.ts), asserted step by step and on the
 * state they leave. Embedded: the demo clients and a new channel of the `npm start` under test.
 * Another target: DGOV_DEMO_CLIENTS (a clients file), DGOV_DEMO_CHANNEL (`dgov channels create --json`
 * output) and the audit trail's DGOV_AUDIT_BUCKET, _TABLE, _KEY and _TRUSTED_KEY; no object is changed there.
 */
const embedded = target.name === 'embedded' && Boolean(target.apiUrl);
const deployedReady = Boolean(target.apiUrl && process.env.DGOV_DEMO_CLIENTS && process.env.DGOV_DEMO_CHANNEL);
if (embedded) process.env.DGOV_LOCAL_DIR = target.localDir;

const cliFlags = embedded
  ? {}
  : {
      bucket: process.env.DGOV_AUDIT_BUCKET,
      region: process.env.AWS_REGION,
      table: process.env.DGOV_AUDIT_TABLE,
      auditKey: process.env.DGOV_AUDIT_KEY,
      trustedKey: process.env.DGOV_AUDIT_TRUSTED_KEY ? [process.env.DGOV_AUDIT_TRUSTED_KEY] : undefined,
    };

describe.skipIf(!embedded && !deployedReady)(`the three journeys of dgov demo, against ${target.name}`, () => {
  let province: Province;
  let record: JourneysRecord;
  const journey = (name: string) => record.steps.filter((step) => step.journey === name);

  beforeAll(async () => {
    province = embedded
      ? provinceFrom({ apiUrl: target.apiUrl, clients: join(target.localDir!, 'demo-clients.json') })
      : provinceFrom({
          apiUrl: target.apiUrl,
          clients: process.env.DGOV_DEMO_CLIENTS,
          channelFile: process.env.DGOV_DEMO_CHANNEL,
        });
    record = await runJourneys(province, {
      audit: { target: auditTarget(cliFlags), cliFlags, tamper: embedded, exclusive: withTrailLock },
    });
  }, 150_000);

  it('1: a citizen registers, signs in, files a ticket; it is routed; the department accepts and resolves it on its work-queue page; the citizen closes it with a rating', async () => {
    const { hotline } = record;
    expect(journey('hotline').map((step) => [step.actor, step.did])).toEqual([
      [`citizen ${hotline.citizen.name}`, 'registers an account'],
      [`citizen ${hotline.citizen.name}`, 'signs in to the portal through the SSO'],
      [`citizen ${hotline.citizen.name}`, 'files a hotline ticket (lift out of order)'],
      ['the hotline router', 'routes the ticket'],
      [`officer ${hotline.officer.name}`, "signs in to dept-housing's work-queue page through the SSO"],
      [`officer ${hotline.officer.name}`, 'accepts it on the page'],
      [`officer ${hotline.officer.name}`, 'resolves it on the page with a reply'],
      [`citizen ${hotline.citizen.name}`, 'closes it with a rating of 5'],
    ]);
    expect(hotline).toMatchObject({
      department: 'dept-housing',
      status: 'CLOSED',
      rating: 5,
      history: ['file', 'route', 'accept', 'resolve', 'close'],
      pageMessages: [`accept: ${hotline.ticketId}`, `resolve: ${hotline.ticketId}`],
    });
    // The state it leaves, as the department sees it through the API.
    const housing = await clientToken(province, 'demo-dept-housing', 'tickets:act');
    const ticket = await province.api.get(`/tickets/${hotline.ticketId}`, housing);
    expect(ticket.body).toMatchObject({ status: 'CLOSED', rating: 5, department: 'dept-housing' });
    expect((ticket.body.history as { by: string }[]).map((entry) => entry.by).slice(2, 4)).toEqual([
      'workqueue-dept-housing',
      'workqueue-dept-housing',
    ]);
  });

  it('2: an order, two simultaneous callbacks, PAID once, a receipt licence the citizen lists; a third party verifies it; revoked, verify and the status list say so', async () => {
    const { payment } = record;
    expect(payment.callbacks).toEqual([
      { status: 200, body: '{"acknowledged":true,"orderStatus":"PAID"}' },
      { status: 200, body: '{"acknowledged":true,"orderStatus":"PAID"}' },
    ]);
    expect(payment).toMatchObject({
      orderStatus: 'PAID',
      receiptId: expect.stringMatching(/^L[0-9A-Z]{17}$/),
      listedByCitizen: true,
      // One payment, one receipt licence, though the channel called twice.
      receiptsHeld: 1,
      verifiedBefore: { valid: true, checks: { seal: true, issuerTrusted: true, inValidity: true, notRevoked: true } },
      revokedStatus: 'revoked',
      verifiedAfter: { valid: false, checks: { seal: true, notRevoked: false } },
      statusList: { revoked: true },
    });
    expect(journey('payment').map((step) => step.actor)).toEqual([
      'a third party (a bank, no account)',
      'dept-market (demo-department)',
      `channel ${province.channel.id}`,
      'the settlement consumer (as dept-finance)',
      `citizen ${record.hotline.citizen.name}`,
      'the third party',
      'dept-finance (payments-receipts)',
      'the third party',
    ]);
    const market = await clientToken(province, 'demo-department', 'payments:orders');
    const order = await province.api.get(`/payments/orders/${payment.orderId}`, market);
    expect(order.body).toMatchObject({ status: 'PAID', receiptId: payment.receiptId, amountFen: payment.amountFen });
    const finance = await clientToken(province, 'payments-receipts', 'licences:issue');
    const receipt = await province.api.get(`/licences/${payment.receiptId}`, finance);
    expect(receipt.body).toMatchObject({
      status: 'revoked',
      document: { type: 'payment-receipt', matterId: payment.orderId, issuer: { department: 'dept-finance' } },
    });
    const byId = await province.api.post('/licences/verify', { licenceId: payment.receiptId });
    expect(byId.body).toMatchObject({ valid: false, checks: { notRevoked: false } });
  });

  it('3: the auditor seals the trail, finds every step of 1 and 2 with its actor and outcome, verifies it intact, and verify catches one changed object', () => {
    const { audit, hotline, payment } = record;
    const expected = record.steps.flatMap((step) => step.audit);
    expect(expected.length).toBeGreaterThanOrEqual(15);
    expect(audit.found.map(({ count: _c, eventIds: _e, ...wanted }) => wanted)).toEqual(expected);
    for (const entry of audit.found) expect(entry.count, `${entry.action} ${entry.resource}`).toBeGreaterThan(0);
    const counted = (action: string, resource: string) =>
      audit.found.find((entry) => entry.action === action && entry.resource === resource)?.count;
    // Two deliveries of the callback, one PAID transition in the trail.
    expect(counted('payments.order.paid', `payment-order/${payment.orderId}`)).toBe(1);
    expect(counted('hotline.ticket.accept', `ticket/${hotline.ticketId}`)).toBe(1);
    expect(audit.found).toContainEqual(
      expect.objectContaining({
        action: 'hotline.ticket.close',
        actor: hotline.citizen.accountId,
        outcome: 'success',
      }),
    );
    // Every found event came from an object a digest lists (this seal's, or one another file made first).
    expect(audit.sealed.sequence).toBeGreaterThan(0);
    expect(audit.intact).toBe(true);
    if (embedded) {
      expect(audit.tampered).toMatchObject({ exitCode: 1, named: true });
      expect(audit.tampered!.output).toContain('NOT INTACT');
      expect(audit.intactAfterRestore).toBe(true);
    }
    expect(problems(record)).toEqual([]);
  });
});
