import { identityTtlContract } from '../../contract/identity/ttl-contract.ts';
import { MemoryIdentityStore } from '../../support/memory-identity-store.ts';

// test/integration/identity/ttl-contract.test.ts runs the same cases on DynamoDB.
identityTtlContract('the in-memory fake', async () => {
  const store = new MemoryIdentityStore();
  return {
    store,
    timeToLive: async (pk) => store.timeToLive(pk),
    expireItems: async (now) => store.expireItems(now),
  };
});
