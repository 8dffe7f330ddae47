import { ArnFormat, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Bucket, EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { MAX_AMOUNT_FEN, ORDER_TTL_MINUTES } from '../../../functions/payments/config.ts';
import { PAYMENTS_ENV } from '../../../functions/payments/env.ts';
import { paymentsManifest } from '../../../functions/payments/manifest.ts';
import { ENV } from '../../../shared/env-names.ts';
import { AuditData } from '../audit/data.ts';
import type { CodeContext } from '../capability.ts';
import { functionOf } from '../functions.ts';
import { PaymentsData, SETTLEMENT_CONSUMER_TIMEOUT } from './data.ts';

/**
 * What alipay-sdk imports for calling Alipay's APIs (HTTP client, multipart forms, AES), which only
 * verifying notifications never does: 0.8 MB of the bundle.
 */
const ALIPAY_SDK_UNUSED = ['urllib', 'formstream', 'crypto-js'];

/** Where the secrets live: Secrets Manager names in the cloud, files under `npm start`'s data directory locally. */
export function paymentSecrets(scope: Construct, stage: string) {
  const localDir = scope.node.tryGetContext('localDataDir') as string | undefined;
  const prefix = `dgov/${stage}/payments/`;
  const secretArn = (name: string) =>
    Stack.of(scope).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  return localDir
    ? {
        local: true,
        channels: `file:${localDir}/secrets/payments/channels`,
        receiptClient: `file:${localDir}/demo-clients.json#payments-receipts`,
        channelsArn: undefined,
        receiptClientArn: undefined,
      }
    : {
        local: false,
        channels: `secretsmanager:${prefix}channels/`,
        receiptClient: `secretsmanager:${prefix}receipts-client`,
        // Secrets Manager appends 6 random characters to a secret's ARN.
        channelsArn: secretArn(`${prefix}channels/*`),
        receiptClientArn: secretArn(`${prefix}receipts-client-??????`),
      };
}

/**
 * The payments API (orders, callbacks), the settlement consumer (FIFO queue → receipt) and the
 * reconciler (statement put in the statements bucket → report beside it).
 */
export class PaymentsCode extends Construct {
  constructor(scope: Construct, id: string, context: CodeContext) {
    super(scope, id);
    const data = context.data.get(PaymentsData);
    const audit = context.data.get(AuditData);
    const secrets = paymentSecrets(this, context.config.stage);

    const api = context
      .addFunction(this, functionOf(paymentsManifest, 'payments'), { unusedModules: ALIPAY_SDK_UNUSED })
      .useTable(PAYMENTS_ENV.paymentsTable, data.table, 'readWrite')
      .useQueue(ENV.auditQueueUrl, audit.queue, 'send')
      .useQueue(PAYMENTS_ENV.settlementQueueUrl, data.settlementQueue, 'send')
      .setEnv(PAYMENTS_ENV.channelSecrets, secrets.channels)
      .setEnv(PAYMENTS_ENV.maxAmountFen, String(MAX_AMOUNT_FEN))
      .setEnv(PAYMENTS_ENV.orderTtlMinutes, String(ORDER_TTL_MINUTES));
    if (secrets.channelsArn)
      api.fn.addToRolePolicy(
        new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secrets.channelsArn] }),
      );

    const settlement = context
      .addFunction(this, functionOf(paymentsManifest, 'payments-settlement'), { timeout: SETTLEMENT_CONSUMER_TIMEOUT })
      .useTable(PAYMENTS_ENV.paymentsTable, data.table, 'readWrite')
      .useQueue(ENV.auditQueueUrl, audit.queue, 'send')
      .setEnv(PAYMENTS_ENV.apiUrl, context.http.issuer)
      .setEnv(PAYMENTS_ENV.receiptClient, secrets.receiptClient);
    if (secrets.receiptClientArn)
      settlement.fn.addToRolePolicy(
        new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secrets.receiptClientArn] }),
      );
    settlement.fn.addEventSource(
      new SqsEventSource(data.settlementQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );

    const reconcile = context
      .addFunction(this, functionOf(paymentsManifest, 'payments-reconcile'), { timeout: SETTLEMENT_CONSUMER_TIMEOUT })
      .useTable(PAYMENTS_ENV.paymentsTable, data.table, 'readWrite')
      .useQueue(ENV.auditQueueUrl, audit.queue, 'send')
      .useQueue(PAYMENTS_ENV.settlementQueueUrl, data.settlementQueue, 'send')
      .useBucket(PAYMENTS_ENV.statementsBucket, data.statements, 'readWrite');
    // S3 invokes it asynchronously: Lambda retries a failed run twice and the function's Errors alarm
    // reports it; the statement stays in the bucket, and putting it again reruns it (idempotent).
    // The bucket lives in the stateful stack; its notification is declared here, on an imported
    // reference, so that the stateful stack never depends on a function.
    Bucket.fromBucketAttributes(this, 'Statements', {
      bucketName: data.statements.bucketName,
      bucketArn: data.statements.bucketArn,
    }).addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(reconcile.fn), {
      prefix: 'statements/',
      suffix: '.csv',
    });
  }
}
