import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { writerPorts } from '../../../functions/audit/store.ts';
import { scratchDir } from '../../../local/scratch.ts';
import { writerPortsContract } from '../../contract/audit/writer-ports-contract.ts';
import { documents, freshTrail, type Trail } from './fixture.ts';

const dir = scratchDir('audit-writer-ports');
let t: Trail;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  t = await freshTrail(dir);
});

writerPortsContract('the DynamoDB and S3 writer ports', async () => ({
  ports: writerPorts(t.names),
  conditionalPut: false, // fauxqs 1.x ignores If-None-Match on puts
  // As the writer wrote claims before they had a time: an unconditional put, remembered 30 days.
  seedLegacyClaim: async (eventId, objectKey, madeAt) => {
    await documents.send(
      new PutCommand({
        TableName: t.names.table,
        Item: {
          pk: `audit#event#${eventId}`,
          sk: 'stored',
          objectKey,
          expiresAt: Math.floor(madeAt / 1000) + 30 * 24 * 3600,
        },
      }),
    );
  },
}));
