import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { s3DocumentArchive, sqsNotifier } from '../../../functions/licences/adapters/archive.ts';
import { dynamoLicenceStore, LICENCE_INDEXES } from '../../../functions/licences/adapters/dynamodb-store.ts';
import { testClients } from '../../support/aws.ts';
import { citizenId, department, licencesWorld } from '../../support/licences/world.ts';

const clients = testClients();
const documents = DynamoDBDocumentClient.from(clients.dynamodb);

/** The licences table as infra/capabilities/licences/data.ts declares it: pk/sk and the three GSIs. */
async function licencesTable() {
  const name = `licences-${randomUUID().slice(0, 8)}`;
  const indexes = Object.entries(LICENCE_INDEXES);
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        ...indexes.flatMap(([, keys]) => [
          { AttributeName: keys.partitionKey, AttributeType: 'S' as const },
          { AttributeName: keys.sortKey, AttributeType: 'S' as const },
        ]),
      ],
      GlobalSecondaryIndexes: indexes.map(([IndexName, keys]) => ({
        IndexName,
        KeySchema: [
          { AttributeName: keys.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: keys.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      })),
    }),
  );
  return name;
}

const citizen = { kind: 'citizen' as const, id: citizenId() };
const police = department('dept-police');
const certificate = (matterId: string) => ({
  type: 'no-criminal-record',
  holder: citizen,
  matterId,
  data: {
    name: '李四',
    idNumber: citizen.id,
    purpose: '就业',
    checkedPeriod: { from: '2010-01-01', to: '2025-01-01' },
  },
});

describe('licences on DynamoDB Local and the S3 emulator', () => {
  let world: ReturnType<typeof licencesWorld>;
  let bucket: string;
  let queueUrl: string;

  beforeAll(async () => {
    bucket = `licences-${randomUUID().slice(0, 8)}`;
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await clients.s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    world = licencesWorld();
    world.deps.store = dynamoLicenceStore(documents, await licencesTable());
    world.deps.archive = s3DocumentArchive(clients.s3, bucket);
    queueUrl = (
      await clients.sqs.send(new CreateQueueCommand({ QueueName: `licence-notifications-${randomUUID().slice(0, 8)}` }))
    ).QueueUrl!;
    world.deps.notify = sqsNotifier(clients.sqs, queueUrl);
  });

  it('50 concurrent issues with one matterId: one conditional write wins, one licence, one bucket object', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        world.call('POST', '/licences', { caller: police, body: certificate('P-race') }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.every((status) => status === 201 || status === 200)).toBe(true);
    const ids = new Set(answers.map((answer) => answer.body.licenceId));
    expect(ids.size).toBe(1);
    const [licenceId] = [...ids];
    const stored = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `licences/${licenceId}.json` }));
    const body = JSON.parse(await stored.Body!.transformToString());
    expect(body.seal).toEqual(answers[0]!.body.seal);
    const mine = await world.deps.store.byHolder(citizen, 100);
    expect(mine.map((record) => record.licenceId)).toEqual([licenceId]);
    expect(world.audits.filter((event) => event.action === 'licence.issued')).toHaveLength(1);
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(Messages.map((message) => JSON.parse(message.Body!))).toEqual([
      expect.objectContaining({ type: 'licence.issued', licenceId, holder: citizen }),
    ]);
    expect(Messages[0]!.MessageAttributes?.type?.StringValue).toBe('licence.issued');
  });

  it('the document read back is byte for byte what was sealed; revocation sets the status bit once', async () => {
    const issued = (await world.call('POST', '/licences', { caller: police, body: certificate('P-2') })).body;
    expect((await world.call('POST', '/licences/verify', { body: { licenceId: issued.licenceId } })).body.valid).toBe(
      true,
    );
    const revoked = await Promise.all(
      Array.from({ length: 5 }, () =>
        world.call('POST', `/licences/${issued.licenceId}/revoke`, {
          caller: police,
          body: { reason: 'issued in error' },
        }),
      ),
    );
    expect(revoked.every((answer) => answer.status === 200 && answer.body.status === 'revoked')).toBe(true);
    expect(world.audits.filter((event) => event.action === 'licence.revoked')).toHaveLength(1);
    const verdict = (
      await world.call('POST', '/licences/verify', { body: { document: issued.document, seal: issued.seal } })
    ).body;
    expect(verdict.checks).toEqual({ seal: true, issuerTrusted: true, inValidity: true, notRevoked: false });
    const listId = issued.document.credentialStatus.statusListCredential.split('/').at(-1);
    expect(await world.deps.store.revokedIndexes(listId)).toEqual([
      Number(issued.document.credentialStatus.statusListIndex),
    ]);
  });
});
