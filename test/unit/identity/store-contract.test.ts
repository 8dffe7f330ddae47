import { MemoryIdentityStore } from '../../support/memory-identity-store.ts';
import { identityStoreContract } from '../../contract/identity/store-contract.ts';

// The fake the domain tests use; test/integration/identity/store-contract.test.ts runs the same cases on DynamoDB.
identityStoreContract('the in-memory fake', async () => new MemoryIdentityStore());
