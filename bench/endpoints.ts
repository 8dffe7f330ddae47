// Hot endpoints through the local gateway, each beside the bare emulator round trips it makes,
// timed the same way (one caller, one request at a time) in the same run.
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { LocalRuntime } from '../local/runtime.ts';
import { createSingleTable } from '../local/single-table.ts';
import { benchClient, clientToken } from './clients.ts';
import { postLicence, postTicket, postVerify } from './requests.ts';
import { type BenchRow, endpointRow, serial } from './table.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

export async function endpointsBench(runtime: LocalRuntime): Promise<BenchRow[]> {
  const env = runtime.environment;
  const { dynamodb, sqs, s3 } = runtime.clients;
  const documents = DynamoDBDocumentClient.from(dynamodb);
  // Bare writes go to a table and a queue of their own in the same emulators: no function consumes them.
  const bareTable = 'bench-bare-round-trips';
  await createSingleTable(dynamodb, bareTable);
  const { QueueUrl: bareQueue } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-bare-round-trips' }));
  const send = (body: string) => sqs.send(new SendMessageCommand({ QueueUrl: bareQueue!, MessageBody: body }));
  const auditSized = JSON.stringify({ eventId: randomUUID(), padding: 'x'.repeat(400) });

  const rows: BenchRow[] = [];

  // GET /health: DescribeTable, GetQueueAttributes and HeadBucket, in parallel.
  const health = await serial(ROUNDS, async () => {
    const response = await fetch(`${runtime.url}/health`);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`/health answered ${response.status}`);
  });
  const healthBare = await serial(ROUNDS, () =>
    Promise.all([
      dynamodb.send(new DescribeTableCommand({ TableName: env.tables.controlTable })),
      sqs.send(new GetQueueAttributesCommand({ QueueUrl: env.queues.auditQueue, AttributeNames: ['QueueArn'] })),
      s3.send(new HeadBucketCommand({ Bucket: env.buckets.auditBucket })),
    ]),
  );
  rows.push(
    ...endpointRow(
      'platform',
      `GET /health, ${ROUNDS} one at a time`,
      health,
      healthBare,
      'DescribeTable ∥ GetQueueAttributes ∥ HeadBucket',
    ),
  );

  // POST /oauth2/token: the client read (consistent), then its audit event on the queue.
  const tokenClient = await benchClient(runtime, `bench-token-${Date.now()}`, ['openid']);
  const token = await serial(ROUNDS, () => clientToken(runtime, tokenClient));
  const tokenBare = await serial(ROUNDS, async () => {
    await documents.send(
      new GetCommand({
        TableName: env.tables.identityTable!,
        Key: { pk: `client#${tokenClient.clientId}`, sk: 'client' },
        ConsistentRead: true,
      }),
    );
    await send(auditSized);
  });
  rows.push(
    ...endpointRow(
      'identity',
      `POST /oauth2/token (client_credentials), ${ROUNDS} one at a time`,
      token,
      tokenBare,
      'GetItem → SendMessage',
    ),
  );

  // POST /tickets: the audit event, the conditional put of the ticket, the routing message.
  const channel = await benchClient(runtime, `bench-intake-${Date.now()}`, ['tickets:file']);
  const channelToken = await clientToken(runtime, channel);
  const ticketSized = 'x'.repeat(900);
  const tickets = await serial(ROUNDS, (i) => postTicket(runtime, channelToken, 1_000_000 + i));
  const ticketsBare = await serial(ROUNDS, async () => {
    await send(auditSized);
    await documents.send(
      new PutCommand({
        TableName: bareTable,
        Item: { pk: `ticket#${randomUUID()}`, sk: 'ticket', body: ticketSized },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await send(JSON.stringify({ ticketId: randomUUID() }));
  });
  rows.push(
    ...endpointRow(
      'hotline',
      `POST /tickets (intake), ${ROUNDS} one at a time`,
      tickets,
      ticketsBare,
      'SendMessage → conditional PutItem → SendMessage',
    ),
  );

  // POST /licences/verify: the licence record (consistent), then the SM2 check in the function.
  const issuer = await benchClient(runtime, `bench-verify-${Date.now()}`, ['licences:issue'], 'dept-police');
  const licence = await postLicence(runtime, await clientToken(runtime, issuer, 'licences:issue'));
  const verify = await serial(ROUNDS, () => postVerify(runtime, licence));
  const verifyBare = await serial(ROUNDS, () =>
    documents.send(
      new GetCommand({
        TableName: env.tables.licencesTable!,
        Key: { pk: `LICENCE#${licence.licenceId}`, sk: 'LICENCE' },
        ConsistentRead: true,
      }),
    ),
  );
  rows.push(
    ...endpointRow(
      'licences',
      `POST /licences/verify (document + seal), ${ROUNDS} one at a time`,
      verify,
      verifyBare,
      'GetItem',
    ),
  );
  return rows;
}
