/** Environment variable names of the payments capability, set by infra/capabilities/payments/. */
export const PAYMENTS_ENV = {
  paymentsTable: 'DGOV_PAYMENTS_TABLE',
  /** The FIFO queue of `payment.settled` events, grouped by order. */
  settlementQueueUrl: 'DGOV_PAYMENTS_SETTLEMENT_QUEUE_URL',
  statementsBucket: 'DGOV_PAYMENTS_STATEMENTS_BUCKET',
  /**
   * Where channel secrets live: `secretsmanager:<prefix>` (a secret `<prefix><channel>` per channel)
   * in the cloud, `file:<directory>` (a `<channel>.json` per channel) for the embedded runtime.
   */
  channelSecrets: 'DGOV_PAYMENTS_CHANNEL_SECRETS',
  /** Highest amount of one order, in fen. */
  maxAmountFen: 'DGOV_PAYMENTS_MAX_AMOUNT_FEN',
  /** Minutes a PENDING order may be paid before it expires. */
  orderTtlMinutes: 'DGOV_PAYMENTS_ORDER_TTL_MINUTES',
  /** The API's base URL: the token endpoint and POST /licences, for the receipt. */
  apiUrl: 'DGOV_PAYMENTS_API_URL',
  /** The receipt client's credentials: `secretsmanager:<name>` or `file:<path.json>#<client id>`. */
  receiptClient: 'DGOV_PAYMENTS_RECEIPT_CLIENT',
} as const;
