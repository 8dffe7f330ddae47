import type { ReconciliationReport } from '../../functions/payments/use-cases/reconcile.ts';

const fen = (amount: number) => `${(amount / 100).toFixed(2)}`;

/** The reconciliation report as a table, one row per line of every kind. */
export function reportTable(report: ReconciliationReport): string {
  const rows: string[][] = [['kind', 'channelTxnId', 'paymentCode', 'amount (CNY)', 'order', 'note']];
  for (const line of report.matched)
    rows.push(['matched', line.channelTxnId, line.paymentCode, fen(line.amountFen), line.orderId, '']);
  for (const line of report.notPaidHere)
    rows.push([
      'not PAID here',
      line.channelTxnId,
      line.paymentCode,
      fen(line.amountFen),
      line.orderStatus ?? '-',
      line.repaired ? 'repaired: now PAID' : `flagged: ${line.flag ?? '-'}`,
    ]);
  for (const line of report.missingFromStatement)
    rows.push(['missing from statement', line.channelTxnId, line.paymentCode, fen(line.amountFen), line.orderId, '']);
  for (const line of report.amountMismatches)
    rows.push([
      'amount mismatch',
      line.channelTxnId,
      line.paymentCode,
      fen(line.amountFen),
      line.orderId,
      line.orderAmountFen === undefined ? 'flagged' : `order is ${fen(line.orderAmountFen)}`,
    ]);
  for (const line of report.invalidLines)
    rows.push(['invalid line', `line ${line.line}`, '', '', '', line.errors.join('; ')]);
  if (report.unreadable)
    rows.push([
      'unreadable',
      `line ${report.unreadable.line}`,
      '',
      '',
      '',
      `${report.unreadable.error}; nothing compared`,
    ]);
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const render = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  const summary =
    `${report.channel} ${report.date}: ${report.statement.lines} statement lines, ${fen(report.statement.totalFen)} CNY; ` +
    `${report.matched.length} matched, ${report.notPaidHere.length} not PAID here, ` +
    `${report.missingFromStatement.length} missing from the statement, ${report.amountMismatches.length} amount mismatches, ` +
    `${report.invalidLines.length} invalid lines`;
  return [
    summary,
    '',
    render(rows[0]!),
    render(widths.map((width) => '-'.repeat(width))),
    ...rows.slice(1).map(render),
  ].join('\n');
}
