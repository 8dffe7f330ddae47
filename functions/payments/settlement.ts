import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { auditEmitter, sqsAuditSender } from '../../shared/audit.ts';
import { clientOptions } from '../../shared/aws/client-options.ts';
import { documents } from '../../shared/aws/dynamodb.ts';
import { ENV, loadConfig } from '../../shared/config.ts';
import { logger } from '../../shared/observability.ts';
import { sqsBatchHandler } from '../../shared/sqs-batch.ts';
import { httpReceiptIssuer, receiptCredentials } from './adapters/receipts-http.ts';
import { settlementConfigSchema } from './config.ts';
import { dynamoPaymentsStore } from './dynamodb/store.ts';
import { PAYMENTS_ENV } from './env.ts';
import type { ReceiptIssuer } from './ports.ts';
import type { PaymentsDeps } from './ports.ts';
import { issueReceipt } from './use-cases/receipt.ts';

export const settledEventSchema = z.object({
  type: z.literal('payment.settled'),
  orderId: z.string().check(z.regex(/^po-\d{20}$/)),
  paymentCode: z.string(),
  amountFen: z.int(),
  currency: z.string(),
  channel: z.string(),
  channelTxnId: z.string(),
  paidAt: z.string(),
});

/** One record: a body that is not a settlement event fails (and after 5 receives sits in the DLQ, alarmed). */
export const makeSettlementConsumer =
  (deps: Pick<PaymentsDeps, 'store' | 'audit'> & { receipts: ReceiptIssuer }) => async (record: SQSRecord) => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const event = settledEventSchema.parse(body);
    const result = await issueReceipt(event, deps, record.messageId);
    logger.info('receipt', { orderId: event.orderId, receiptId: result.receiptId, issued: result.issued });
  };

const config = loadConfig(settlementConfigSchema);
let secretsManager: SecretsManagerClient | undefined;
export const handler = sqsBatchHandler(
  makeSettlementConsumer({
    store: dynamoPaymentsStore(documents, config[PAYMENTS_ENV.paymentsTable]),
    audit: auditEmitter(sqsAuditSender(config[ENV.auditQueueUrl]), config.region),
    receipts: httpReceiptIssuer({
      apiUrl: config[PAYMENTS_ENV.apiUrl],
      credentials: receiptCredentials(config[PAYMENTS_ENV.receiptClient], () => {
        secretsManager ??= new SecretsManagerClient(clientOptions);
        return secretsManager;
      }),
    }),
  }),
);
