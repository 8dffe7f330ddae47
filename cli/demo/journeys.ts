import { type AuditOptions, type AuditRecord, auditJourney } from './audit-journey.ts';
import { type HotlineRecord, hotlineJourney, signUp } from './hotline-journey.ts';
import { type PaymentRecord, paymentJourney } from './payment-journey.ts';
import type { Province } from './province.ts';
import { Recorder, type Step } from './record.ts';

/** Everything the three journeys did: what `dgov demo --json` prints and the e2e tests assert on. */
export interface JourneysRecord {
  apiUrl: string;
  startedAt: string;
  steps: Step[];
  hotline: HotlineRecord;
  payment: PaymentRecord;
  audit: AuditRecord;
  seconds: number;
}

/**
 * The three end-to-end journeys, one implementation for `npx dgov demo` and for
 * test/e2e/journeys/journeys.test.ts: over the public HTTP API only (the auditor reads the audit
 * bucket, as auditors do), so they run against any deployment.
 */
export async function runJourneys(
  province: Province,
  options: { audit: AuditOptions; onStep?: (step: Step) => void; receiptTimeoutMs?: number },
): Promise<JourneysRecord> {
  const started = new Date();
  const emit = options.onStep ?? (() => {});
  // Journey 2 runs beside journey 1 once the citizen is signed in; its steps are shown after 1's.
  let held: Step[] | undefined = [];
  const recorder = new Recorder((step) => (step.journey === 'payment' && held ? held.push(step) : emit(step)));
  const people = await signUp(province, recorder);
  const [hotline, payment] = await Promise.all([
    hotlineJourney(province, recorder, people).finally(() => {
      for (const step of held ?? []) emit(step);
      held = undefined;
    }),
    paymentJourney(
      province,
      recorder,
      { person: people.citizen, token: people.citizenToken },
      { receiptTimeoutMs: options.receiptTimeoutMs },
    ),
  ]);
  const journeySteps = [...recorder.steps];
  const audit = await auditJourney(journeySteps, started, recorder, options.audit);
  return {
    apiUrl: province.api.url,
    startedAt: started.toISOString(),
    steps: recorder.steps,
    hotline,
    payment,
    audit,
    seconds: (Date.now() - started.getTime()) / 1000,
  };
}

/** What went otherwise than the journeys promise; empty when the whole suite behaved. */
export function problems(record: JourneysRecord): string[] {
  const { hotline, payment, audit } = record;
  const found: string[] = [];
  const want = (ok: boolean, what: string) => {
    if (!ok) found.push(what);
  };
  want(
    hotline.status === 'CLOSED' && hotline.rating === 5,
    `ticket ${hotline.ticketId} is ${hotline.status}, not CLOSED with 5`,
  );
  want(
    hotline.history.join(',') === 'file,route,accept,resolve,close',
    `ticket history ${hotline.history.join(',')}, not file,route,accept,resolve,close`,
  );
  want(
    payment.callbacks.length === 2 &&
      payment.callbacks.every((c) => c.status === 200 && c.body === payment.callbacks[0]!.body),
    'the two callbacks were not answered alike with 200',
  );
  want(payment.orderStatus === 'PAID', `order ${payment.orderId} is ${payment.orderStatus}, not PAID`);
  want(payment.listedByCitizen, 'the citizen does not see the receipt');
  want(payment.receiptsHeld === 1, `the citizen holds ${payment.receiptsHeld} payment receipts, not one`);
  want(payment.verifiedBefore.valid, 'the receipt did not verify');
  want(payment.revokedStatus === 'revoked', 'the receipt was not revoked');
  want(
    !payment.verifiedAfter.valid && payment.verifiedAfter.checks.notRevoked === false,
    'verify does not say revoked',
  );
  want(payment.statusList.revoked, 'the status list does not say revoked');
  for (const entry of audit.found) {
    const once = entry.action === 'payments.order.paid';
    want(
      once ? entry.count === 1 : entry.count >= 1,
      `the sealed trail has ${entry.count} ${entry.action} ${entry.resource} by ${entry.actor}${once ? ', not one' : ''}`,
    );
  }
  want(audit.intact, 'the trail did not verify intact');
  if (audit.tampered) {
    want(audit.tampered.exitCode === 1 && audit.tampered.named, `verify did not exit 1 naming ${audit.tampered.key}`);
    want(audit.intactAfterRestore === true, 'the trail did not verify intact once the object was put back');
  }
  return found;
}
