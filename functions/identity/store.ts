import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoAccountStore } from './dynamodb/accounts.ts';
import { dynamoClientStore } from './dynamodb/clients.ts';
import { dynamoCodeStore } from './dynamodb/codes.ts';
import { dynamoDenyList } from './dynamodb/deny-list.ts';
import { dynamoTokenFamilyStore } from './dynamodb/families.ts';
import { dynamoLoginAttemptStore } from './dynamodb/login-attempts.ts';
import { dynamoRateCounter } from './dynamodb/rate-counter.ts';
import { dynamoRefreshTokenStore } from './dynamodb/refresh-tokens.ts';
import { dynamoSessionStore } from './dynamodb/sessions.ts';
import { identityTable } from './dynamodb/table.ts';
import type { IdentityStore } from './ports.ts';

/**
 * Every identity port on DynamoDB, as one object: the identity table (single-table design, items
 * expire by `expiresAt`) and the control table's jti deny-list.
 */
export function dynamoIdentityStore(
  documents: DynamoDBDocumentClient,
  tables: { identity: string; control: string },
): IdentityStore {
  const table = identityTable(documents, tables.identity);
  return {
    ...dynamoAccountStore(table),
    ...dynamoClientStore(table),
    ...dynamoLoginAttemptStore(table),
    ...dynamoRateCounter(table),
    ...dynamoSessionStore(table),
    ...dynamoCodeStore(table),
    ...dynamoRefreshTokenStore(table),
    ...dynamoTokenFamilyStore(table),
    ...dynamoDenyList(documents, tables.control),
  };
}
