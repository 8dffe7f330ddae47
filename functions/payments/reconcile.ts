import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { auditEmitter, sqsAuditSender } from '../../shared/audit.ts';
import { documents } from '../../shared/aws/dynamodb.ts';
import { s3 } from '../../shared/aws/s3.ts';
import { queues } from '../../shared/aws/sqs.ts';
import { ENV, loadConfig } from '../../shared/config.ts';
import { logger, observed } from '../../shared/observability.ts';
import { sqsSettlementPublisher } from './adapters/settlement-queue.ts';
import { reconcileConfigSchema } from './config.ts';
import { dynamoPaymentsStore } from './dynamodb/store.ts';
import { PAYMENTS_ENV } from './env.ts';
import type { PaymentsDeps } from './ports.ts';
import { reconcile, reportKey, statementOf } from './use-cases/reconcile.ts';

type Objects = {
  get(key: string): Promise<string | undefined>;
  put(key: string, body: string): Promise<void>;
};

/**
 * S3 object-created on statements/{channel}/{yyyy-mm-dd}.csv: writes the report beside it, and
 * only when it differs from the one there (a rerun writes nothing). A key of another shape is ignored.
 */
export const makeReconcileHandler = (deps: PaymentsDeps, objects: Objects) => async (event: S3Event) => {
  for (const record of event.Records) {
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const statement = statementOf(key);
    if (!statement) {
      logger.warn('not a statement key; ignored', { key });
      continue;
    }
    const csv = await objects.get(key);
    if (csv === undefined) continue;
    const report = await reconcile(
      statement.channel,
      statement.date,
      csv,
      deps,
      record.responseElements?.['x-amz-request-id'] ?? key,
    );
    const body = `${JSON.stringify(report, null, 2)}\n`;
    const target = reportKey(statement.channel, statement.date);
    if ((await objects.get(target)) === body) continue;
    await objects.put(target, body);
    logger.info('reconciled', {
      key,
      matched: report.matched.length,
      notPaidHere: report.notPaidHere.length,
      missingFromStatement: report.missingFromStatement.length,
      amountMismatches: report.amountMismatches.length,
    });
  }
};

const config = loadConfig(reconcileConfigSchema);
const bucket = config[PAYMENTS_ENV.statementsBucket];
export const handler = observed(
  makeReconcileHandler(
    {
      store: dynamoPaymentsStore(documents, config[PAYMENTS_ENV.paymentsTable]),
      publish: sqsSettlementPublisher(queues, config[PAYMENTS_ENV.settlementQueueUrl]),
      audit: auditEmitter(sqsAuditSender(config[ENV.auditQueueUrl]), config.region),
      now: () => new Date(),
    },
    {
      async get(key) {
        try {
          const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return await object.Body!.transformToString('utf8');
        } catch (error) {
          if ((error as Error).name === 'NoSuchKey') return undefined;
          throw error;
        }
      },
      async put(key, body) {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
      },
    },
  ),
);
