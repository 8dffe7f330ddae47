import { ticketStoreContract } from '../../contract/hotline/store-contract.ts';
import { MemoryTicketStore } from '../../support/memory-hotline-store.ts';

// The fake the use-case tests use; test/integration/hotline/store-contract.test.ts runs the same cases on DynamoDB.
ticketStoreContract('the in-memory fake', async () => new MemoryTicketStore());
