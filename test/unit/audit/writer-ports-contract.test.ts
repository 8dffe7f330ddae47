import { CLAIM_LEASE_MS } from '../../../functions/audit/write-batch.ts';
import { writerPortsContract } from '../../contract/audit/writer-ports-contract.ts';
import { memoryWriterPorts } from '../../support/memory-writer-ports.ts';

writerPortsContract('the in-memory writer ports', async () => {
  const memory = memoryWriterPorts();
  return {
    ports: memory.ports,
    conditionalPut: true,
    seedLegacyClaim: async (eventId, objectKey, madeAt) =>
      void memory.claims.set(eventId, { objectKey, leaseUntil: madeAt + CLAIM_LEASE_MS }),
  };
});
