import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { controlTableDenyList } from '../../shared/auth/deny-list.ts';
import { DependencyUnavailableError } from '../../shared/errors.ts';
import type { Account, AuthorizationCode, Client, IdentityStore, RefreshToken, SsoSession, TokenFamily } from './model.ts';

const conditionFailed = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed'));

/** An unreachable table is a 503, never a 500 and never a half-answer. */
const guard = async <T>(run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (error) {
    if (conditionFailed(error)) throw error;
    const name = (error as Error).name;
    if (['ResourceNotFoundException', 'ValidationException', 'TransactionCanceledException'].includes(name)) throw error;
    throw new DependencyUnavailableError('dynamodb');
  }
};

/**
 * The identity table (single-table design, items expire by `expiresAt`) and the control
 * table's jti deny-list, which every function that refuses revoked tokens reads.
 */
export function dynamoIdentityStore(documents: DynamoDBDocumentClient, tables: { identity: string; control: string }): IdentityStore {
  const T = tables.identity;
  const get = async <V>(pk: string, sk: string, consistent = false) =>
    guard(async () => (await documents.send(new GetCommand({ TableName: T, Key: { pk, sk }, ConsistentRead: consistent }))).Item as (V & { pk: string }) | undefined);
  const put = (item: Record<string, unknown>) => guard(() => documents.send(new PutCommand({ TableName: T, Item: item })));
  const window = (now: number, seconds: number) => Math.floor(now / seconds);
  /** Flips `used` from false to true atomically; `again` when it was already true (a replay). */
  const consumeOnce = async <V>(pk: string, sk: string): Promise<{ item: V; again: boolean } | undefined> => {
    try {
      const result = await guard(() =>
        documents.send(
          new UpdateCommand({
            TableName: T,
            Key: { pk, sk },
            UpdateExpression: 'SET used = :true',
            ConditionExpression: 'attribute_exists(pk) AND used = :false',
            ExpressionAttributeValues: { ':true': true, ':false': false },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return { item: result.Attributes as V, again: false };
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      const item = await get<V>(pk, sk, true);
      return item ? { item, again: true } : undefined;
    }
  };

  return {
    async createAccount(account) {
      try {
        await guard(() =>
          documents.send(
            new TransactWriteCommand({
              TransactItems: [
                { Put: { TableName: T, Item: { pk: `identifier#${account.identifier}`, sk: 'account', ...account }, ConditionExpression: 'attribute_not_exists(pk)' } },
                { Put: { TableName: T, Item: { pk: `account#${account.accountId}`, sk: 'account', ...account }, ConditionExpression: 'attribute_not_exists(pk)' } },
              ],
            }),
          ),
        );
        return 'created';
      } catch (error) {
        if (conditionFailed(error)) return 'exists';
        throw error;
      }
    },
    accountByIdentifier: (identifier) => get<Account>(`identifier#${identifier}`, 'account', true),
    account: (accountId) => get<Account>(`account#${accountId}`, 'account', true),
    client: (clientId) => get<Client>(`client#${clientId}`, 'client', true),
    async putClient(client) {
      try {
        await guard(() => documents.send(new PutCommand({ TableName: T, Item: { pk: `client#${client.clientId}`, sk: 'client', ...client }, ConditionExpression: 'attribute_not_exists(pk)' })));
        return 'created';
      } catch (error) {
        if (conditionFailed(error)) return 'exists';
        throw error;
      }
    },
    async failures(accountId) {
      const lock = await get<{ lockedUntil: number }>(`lock#${accountId}`, 'login', true);
      return { count: 0, windowStart: 0, lockedUntil: lock?.lockedUntil };
    },
    async recordFailure(accountId, now, windowSeconds, lockAfter, lockSeconds) {
      // Fixed windows, counted atomically; the current and the previous window together see every
      // run of failures that fits in one window length.
      const current = window(now, windowSeconds);
      const counted = await guard(() =>
        documents.send(
          new UpdateCommand({
            TableName: T,
            Key: { pk: `failures#${accountId}#${current}`, sk: 'login' },
            UpdateExpression: 'ADD #count :one SET expiresAt = :expires',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':one': 1, ':expires': now + 2 * windowSeconds },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      const previous = await get<{ count: number }>(`failures#${accountId}#${current - 1}`, 'login', true);
      const total = Number(counted.Attributes?.count ?? 0) + Number(previous?.count ?? 0);
      if (total < lockAfter) return {};
      const lockedUntil = now + lockSeconds;
      await put({ pk: `lock#${accountId}`, sk: 'login', lockedUntil, expiresAt: lockedUntil });
      await this.clearFailures(accountId, now, windowSeconds);
      return { lockedUntil };
    },
    async clearFailures(accountId, now, windowSeconds) {
      for (const w of [window(now, windowSeconds), window(now, windowSeconds) - 1]) {
        await guard(() => documents.send(new DeleteCommand({ TableName: T, Key: { pk: `failures#${accountId}#${w}`, sk: 'login' } })));
      }
    },
    async hit(key, now, windowSeconds) {
      const result = await guard(() =>
        documents.send(
          new UpdateCommand({
            TableName: T,
            Key: { pk: `rate#${key}#${window(now, windowSeconds)}`, sk: 'rate' },
            UpdateExpression: 'ADD #count :one SET expiresAt = :expires',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':one': 1, ':expires': now + 2 * windowSeconds },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      return Number(result.Attributes?.count ?? 1);
    },
    putSession: (session) => put({ pk: `session#${session.sessionHash}`, sk: 'session', ...session }).then(() => undefined),
    session: (sessionHash) => get<SsoSession>(`session#${sessionHash}`, 'session', true),
    async addFamilyToSession(sessionHash, familyId) {
      await guard(() =>
        documents.send(
          new UpdateCommand({
            TableName: T,
            Key: { pk: `session#${sessionHash}`, sk: 'session' },
            UpdateExpression: 'SET families = list_append(if_not_exists(families, :empty), :family)',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':empty': [], ':family': [familyId] },
          }),
        ),
      ).catch((error: unknown) => {
        if (!conditionFailed(error)) throw error; // the session ended meanwhile: nothing to link
      });
    },
    async deleteSession(sessionHash) {
      await guard(() => documents.send(new DeleteCommand({ TableName: T, Key: { pk: `session#${sessionHash}`, sk: 'session' } })));
    },
    // Codes outlive their 60 s by 10 minutes so that a replay is recognised as one.
    putCode: (code) => put({ pk: `code#${code.codeHash}`, sk: 'code', ...code, expiresAt: code.expiresAt, purgeAt: code.expiresAt + 600 }).then(() => undefined),
    async consumeCode(codeHash) {
      const found = await consumeOnce<AuthorizationCode>(`code#${codeHash}`, 'code');
      return found && { code: found.item, replayed: found.again };
    },
    async linkCodeTokens(codeHash, familyId, accessJti) {
      await guard(() =>
        documents.send(new UpdateCommand({ TableName: T, Key: { pk: `code#${codeHash}`, sk: 'code' }, UpdateExpression: 'SET familyId = :family, accessJti = :jti', ExpressionAttributeValues: { ':family': familyId, ':jti': accessJti } })),
      );
    },
    putRefresh: (token) => put({ pk: `refresh#${token.tokenHash}`, sk: 'refresh', ...token }).then(() => undefined),
    refresh: (tokenHash) => get<RefreshToken>(`refresh#${tokenHash}`, 'refresh', true),
    async consumeRefresh(tokenHash) {
      const found = await consumeOnce<RefreshToken>(`refresh#${tokenHash}`, 'refresh');
      return found && { token: found.item, reused: found.again };
    },
    putFamily: (family) => put({ pk: `family#${family.familyId}`, sk: 'family', ...family }).then(() => undefined),
    family: (familyId) => get<TokenFamily>(`family#${familyId}`, 'family', true),
    async addAccessToFamily(familyId, jti, exp) {
      await guard(() =>
        documents.send(
          new UpdateCommand({
            TableName: T,
            Key: { pk: `family#${familyId}`, sk: 'family' },
            UpdateExpression: 'SET accessJtis = list_append(accessJtis, :access)',
            ExpressionAttributeValues: { ':access': [{ jti, exp }] },
          }),
        ),
      );
    },
    async revokeFamily(familyId) {
      const result = await guard(() =>
        documents.send(
          new UpdateCommand({
            TableName: T,
            Key: { pk: `family#${familyId}`, sk: 'family' },
            UpdateExpression: 'SET revoked = :true',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':true': true },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      ).catch((error: unknown) => {
        if (conditionFailed(error)) return undefined;
        throw error;
      });
      return result?.Attributes as TokenFamily | undefined;
    },
    async deny(jti, exp) {
      await guard(() => documents.send(new PutCommand({ TableName: tables.control, Item: { pk: `deny#${jti}`, sk: 'jti', expiresAt: exp } })));
    },
    isDenied: controlTableDenyList(documents, tables.control),
  };
}
