import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECEIPT_CALL_TIMEOUT_MS } from '../../../functions/payments/adapters/receipts-http.ts';
import { PAYMENTS_ENV } from '../../../functions/payments/env.ts';
import { paymentSecrets } from '../../../infra/capabilities/payments/code.ts';
import { PaymentsData } from '../../../infra/capabilities/payments/data.ts';
import {
  logicalId,
  ourFunctions,
  resourcesOfType,
  rolePolicyStatements,
  synthesize,
  type Synthesized,
} from '../synth.ts';

let cloud: Synthesized;
beforeAll(() => {
  cloud = synthesize();
});
afterAll(() => {
  cloud?.dispose();
});

/** Where `npm start`'s synth (context localDataDir) points the functions, without a second full synth. */
const localSecrets = () => {
  const app = new App({ context: { localDataDir: '/tmp/dgov-test-local' } });
  return paymentSecrets(new Stack(app, 'Local'), 'dev');
};

const fn = (synth: Synthesized, service: string) => ourFunctions(synth.stateless$).find((f) => f.service === service)!;

describe('the payments data', () => {
  it('indexes PAID orders by channel and day (paidKey/paidSort, all attributes)', () => {
    cloud.statefulTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'dgov-dev-payments',
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'paid',
          KeySchema: [
            { AttributeName: 'paidKey', KeyType: 'HASH' },
            { AttributeName: 'paidSort', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }),
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('queues payment.settled FIFO, with a FIFO dead-letter queue after 5 receives', () => {
    const data = cloud.stateful.data.get(PaymentsData);
    const queue = cloud.stateful$.Resources[logicalId(data.settlementQueue)]!;
    expect(queue.Properties).toMatchObject({
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { maxReceiveCount: 5 },
    });
    expect(cloud.stateful$.Resources[logicalId(data.settlementDeadLetters)]!.Properties).toMatchObject({
      FifoQueue: true,
    });
  });
});

describe('the payments functions', () => {
  it('consumes the settlement queue with partial batch failures', () => {
    const settlement = fn(cloud, 'payments-settlement');
    const mappings = resourcesOfType(cloud.stateless$, 'AWS::Lambda::EventSourceMapping').filter(
      ([, mapping]) => (mapping.Properties?.FunctionName as { Ref?: string }).Ref === settlement.logicalId,
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]![1].Properties).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  it("gives the receipt's two HTTP calls (token, issue) time to finish within the consumer's timeout", () => {
    const settlement = fn(cloud, 'payments-settlement');
    expect(2 * RECEIPT_CALL_TIMEOUT_MS).toBeLessThan(settlement.timeout * 1000);
  });

  it('runs the reconciler on statements/*.csv put in the statements bucket', () => {
    const reconcile = fn(cloud, 'payments-reconcile');
    const [notification] = resourcesOfType(cloud.stateless$, 'Custom::S3BucketNotifications');
    const configuration = (
      notification![1].Properties!.NotificationConfiguration as {
        LambdaFunctionConfigurations: { Events: string[]; LambdaFunctionArn: unknown; Filter: unknown }[];
      }
    ).LambdaFunctionConfigurations;
    expect(configuration).toEqual([
      {
        Events: ['s3:ObjectCreated:*'],
        LambdaFunctionArn: { 'Fn::GetAtt': [reconcile.logicalId, 'Arn'] },
        Filter: {
          Key: {
            FilterRules: [
              { Name: 'suffix', Value: '.csv' },
              { Name: 'prefix', Value: 'statements/' },
            ],
          },
        },
      },
    ]);
  });

  it('reads channel secrets from Secrets Manager in the cloud (only its own prefix), from files locally', () => {
    const api = fn(cloud, 'payments');
    expect(api.variables[PAYMENTS_ENV.channelSecrets]).toBe('secretsmanager:dgov/dev/payments/channels/');
    const secretGrants = rolePolicyStatements(cloud.stateless$, api).filter((s) =>
      s.Action.includes('secretsmanager:GetSecretValue'),
    );
    expect(secretGrants).toHaveLength(1);
    expect(JSON.stringify(secretGrants[0]!.Resource)).toContain(':secret:dgov/dev/payments/channels/*');
    expect(localSecrets()).toMatchObject({
      channels: 'file:/tmp/dgov-test-local/secrets/payments/channels',
      receiptClient: 'file:/tmp/dgov-test-local/demo-clients.json#payments-receipts',
      channelsArn: undefined,
    });
  });

  it('lets only the API and the reconciler send settlement events, and only the consumer receive them', () => {
    const queueId = logicalId(cloud.stateful.data.get(PaymentsData).settlementQueue);
    const on = (service: string, action: string) =>
      rolePolicyStatements(cloud.stateless$, fn(cloud, service)).some(
        (s) => s.Action.includes(action) && JSON.stringify(s.Resource).includes(queueId),
      );
    expect(on('payments', 'sqs:SendMessage')).toBe(true);
    expect(on('payments-reconcile', 'sqs:SendMessage')).toBe(true);
    expect(on('payments-settlement', 'sqs:SendMessage')).toBe(false);
    expect(on('payments-settlement', 'sqs:ReceiveMessage')).toBe(true);
    expect(on('payments', 'sqs:ReceiveMessage')).toBe(false);
  });
});
