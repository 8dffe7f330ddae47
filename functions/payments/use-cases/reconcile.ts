import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import * as z from 'zod/mini';
import { orderIdOf } from '../payment-code.ts';
import type { Outcome, PaymentNotice } from '../model.ts';
import type { PaymentsDeps } from '../ports.ts';
import { sameTransaction } from './decide.ts';
import { announceOwed, settleNotice } from './settle.ts';

/** statements/{channel}/{yyyy-mm-dd}.csv → reconciliation/{channel}/{yyyy-mm-dd}.json */
const STATEMENT_KEY = /^statements\/([a-z0-9][a-z0-9-]{0,31})\/(\d{4}-\d{2}-\d{2})\.csv$/;
export const statementOf = (key: string): { channel: string; date: string } | undefined => {
  const match = STATEMENT_KEY.exec(key);
  return match && !Number.isNaN(Date.parse(match[2]!)) ? { channel: match[1]!, date: match[2]! } : undefined;
};
export const reportKey = (channel: string, date: string) => `reconciliation/${channel}/${date}.json`;

/** One statement line: the columns of docs/payments.md, "Statements". */
const lineSchema = z.object({
  channelTxnId: z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,64}$/)),
  paymentCode: z.string().check(z.regex(/^\d{20}$/)),
  amountFen: z.string().check(z.regex(/^[1-9]\d{0,14}$/)),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
  status: z.enum(['SUCCESS', 'REFUNDED']),
  paidAt: z.iso.datetime({ offset: true }),
});

interface Line {
  channelTxnId: string;
  paymentCode: string;
  amountFen: number;
}
export interface ReconciliationReport {
  channel: string;
  date: string;
  statement: { lines: number; totalFen: number };
  matched: (Line & { orderId: string })[];
  /** On the statement, not PAID here: repaired through the callback's path when it could be. */
  notPaidHere: (Line & { orderStatus?: string; repaired: boolean; flag?: string })[];
  /** PAID here through this channel on this day, absent from the statement. */
  missingFromStatement: (Line & { orderId: string })[];
  amountMismatches: (Line & { orderId: string; orderAmountFen?: number })[];
  invalidLines: { line: number; errors: string[] }[];
  /** Set when the file could not be read as CSV at all: nothing was compared. */
  unreadable?: { line: number; error: string };
}

/** A statement csv-parse cannot read at all (an unclosed quote): reported, never thrown, so S3 does not retry it. */
export interface UnreadableStatement {
  unreadable: { line: number; error: string };
}

export function parseStatement(
  csv: string,
): { notices: PaymentNotice[]; invalid: { line: number; errors: string[] }[] } | UnreadableStatement {
  let table: string[][];
  try {
    table = parse(csv, { skip_empty_lines: true, trim: true, bom: true, relax_column_count: true }) as string[][];
  } catch (error) {
    const { lines, message } = error as { lines?: number; message: string };
    return { unreadable: { line: lines ?? 1, error: message } };
  }
  const [header = [], ...rows] = table;
  const notices: PaymentNotice[] = [];
  const invalid: { line: number; errors: string[] }[] = [];
  rows.forEach((cells, index) => {
    const line = index + 2;
    if (cells.length !== header.length) {
      invalid.push({ line, errors: [`expected ${header.length} columns, found ${cells.length}`] });
      return;
    }
    const parsed = lineSchema.safeParse(Object.fromEntries(header.map((name, i) => [name, cells[i]])));
    if (!parsed.success) {
      invalid.push({ line, errors: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) });
      return;
    }
    notices.push({
      ...parsed.data,
      amountFen: Number(parsed.data.amountFen),
      paidAt: new Date(parsed.data.paidAt).toISOString(),
    });
  });
  return { notices, invalid };
}

/**
 * Compares a channel's statement with what was settled here. A payment the channel has that is not
 * PAID here goes through settleNotice, the callback's own idempotent path, so a rerun finds every
 * transaction already recorded, writes nothing and yields the same report. A matched payment whose
 * events were never sent (the queue was down after its write, and the channel did not retry) gets
 * them now, once.
 */
export async function reconcile(
  channel: string,
  date: string,
  csv: string,
  deps: PaymentsDeps,
  requestId: string,
): Promise<ReconciliationReport> {
  const statement = parseStatement(csv);
  const { notices, invalid } = 'unreadable' in statement ? { notices: [], invalid: [] } : statement;
  const report: ReconciliationReport = {
    channel,
    date,
    statement: { lines: notices.length + invalid.length, totalFen: notices.reduce((sum, n) => sum + n.amountFen, 0) },
    matched: [],
    notPaidHere: [],
    missingFromStatement: [],
    amountMismatches: [],
    invalidLines: invalid,
  };
  if ('unreadable' in statement) {
    report.unreadable = statement.unreadable;
    await auditReport(report, deps, requestId, 'denied');
    return report;
  }
  const onStatement = new Set<string>();
  for (const notice of notices) {
    const line = { channelTxnId: notice.channelTxnId, paymentCode: notice.paymentCode, amountFen: notice.amountFen };
    const orderId = orderIdOf(notice.paymentCode);
    if (notice.status !== 'SUCCESS') continue;
    onStatement.add(notice.channelTxnId);
    const { order, txn } = await deps.store.orderAndTxn(orderId, {
      channel,
      kind: 'payment',
      channelTxnId: notice.channelTxnId,
    });
    if (
      txn?.source === 'callback' &&
      sameTransaction(txn, notice) &&
      order?.paid?.channelTxnId === notice.channelTxnId
    ) {
      await announceOwed(channel, notice, txn, deps, { requestId, source: 'reconciliation' });
      report.matched.push({ ...line, orderId });
      continue;
    }
    let outcome: Outcome;
    try {
      outcome = await settleNotice(channel, notice, deps, { requestId, source: 'reconciliation' });
    } catch (error) {
      if ((error as { status?: number }).status !== 409) throw error;
      outcome = { status: 409, flag: 'txn-conflict' };
    }
    if (outcome.status === 409)
      report.amountMismatches.push({ ...line, orderId, ...(order ? { orderAmountFen: order.amountFen } : {}) });
    else
      report.notPaidHere.push({
        ...line,
        ...(outcome.orderStatus ? { orderStatus: outcome.orderStatus } : {}),
        repaired: outcome.status === 200 && outcome.orderStatus === 'PAID' && !outcome.flag,
        ...(outcome.flag ? { flag: outcome.flag } : {}),
      });
  }
  for (const order of await deps.store.paidOn(channel, date)) {
    if (onStatement.has(order.paid!.channelTxnId)) continue;
    report.missingFromStatement.push({
      orderId: order.orderId,
      channelTxnId: order.paid!.channelTxnId,
      paymentCode: order.paymentCode,
      amountFen: order.amountFen,
    });
  }
  report.missingFromStatement.sort((a, b) => a.orderId.localeCompare(b.orderId));
  await auditReport(report, deps, requestId, 'success');
  return report;
}

function auditReport(
  report: ReconciliationReport,
  deps: PaymentsDeps,
  requestId: string,
  outcome: 'success' | 'denied',
) {
  return deps.audit({
    eventId: createHash('sha256').update(JSON.stringify(report)).digest('hex').slice(0, 32),
    actor: { kind: 'system', id: 'payments-reconcile' },
    action: 'payments.reconcile',
    resource: `statement/${report.channel}/${report.date}`,
    outcome,
    requestId,
  });
}
