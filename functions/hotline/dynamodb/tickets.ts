import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import type { Ticket } from '../model.ts';
import type { TicketChanges, TicketStore } from '../ports.ts';
import { slaStateOf } from '../sla.ts';

/** Index names of the hotline table (infra/capabilities/hotline/data.ts declares them). */
export const INDEXES = {
  byDepartment: 'byDepartment',
  escalations: 'escalations',
  timers: 'timers',
  byFiler: 'byFiler',
} as const;
/** The timers index is spread over a few partitions, so the sweep of a busy province is not one hot key. */
export const TIMER_SHARDS = 4;
const OPEN = [':s1', ':s2', ':s3', ':s4', ':s5'];
const OPEN_VALUES = { ':s1': 'RECEIVED', ':s2': 'ROUTED', ':s3': 'TRIAGE', ':s4': 'ACCEPTED', ':s5': 'REOPENED' };
const DUPLICATE_WINDOW_SECONDS = 24 * 3600;

const keyOf = (ticketId: string) => ({ pk: `ticket#${ticketId}`, sk: 'ticket' });
export const timerShardOf = (ticketId: string) =>
  `t#${createHash('sha256').update(ticketId).digest()[0]! % TIMER_SHARDS}`;
const filerKeyOf = (ticket: Pick<Ticket, 'filer'>) => `${ticket.filer.kind}#${ticket.filer.id}`;

const failedCondition = async (write: () => Promise<unknown>): Promise<boolean> => {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException')
      return false;
    throw error;
  }
};

/** SET a, b; REMOVE c: an update of the attributes a transition changes, and the derived index keys. */
function updateOf(ticketId: string, changes: TicketChanges, extraSet: string[] = []) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = [...extraSet];
  const removes: string[] = [];
  const all: Record<string, unknown> = { ...changes };
  // Derived index keys: only tickets with a pending timer are in the timers index.
  if ('nextTimerAt' in changes) all.timerShard = changes.nextTimerAt ? timerShardOf(ticketId) : null;
  if (changes.escalated === true) all.escalatedTo = 'dept-supervisor';
  Object.entries(all).forEach(([attribute, value], i) => {
    if (value === undefined) return;
    names[`#a${i}`] = attribute;
    if (value === null) removes.push(`#a${i}`);
    else {
      values[`:a${i}`] = value;
      sets.push(`#a${i} = :a${i}`);
    }
  });
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
  return { expression, names, values };
}

/** The ticket exists and, with `whileAt`, still has that status and version: a condition and its names and values. */
function stillAt(whileAt: Pick<Ticket, 'status' | 'version'> | undefined): {
  condition: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  if (!whileAt) return { condition: 'attribute_exists(pk)', names: {}, values: {} };
  return {
    condition: 'attribute_exists(pk) AND #status = :whileStatus AND #version = :whileVersion',
    names: { '#status': 'status', '#version': 'version' },
    values: { ':whileStatus': whileAt.status, ':whileVersion': whileAt.version },
  };
}

const strip = (item: Record<string, unknown> | undefined): Ticket | undefined => {
  if (!item) return undefined;
  const {
    pk: _pk,
    sk: _sk,
    timerShard: _t,
    escalatedTo: _e,
    filerKey: _f,
    nextTimerAt: _n,
    linked: _l,
    ...ticket
  } = item;
  return ticket as unknown as Ticket;
};

export function dynamoTicketStore(documents: DynamoDBDocumentClient, table: string): TicketStore {
  const query = async (input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>) => {
    const items: Ticket[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(new QueryCommand({ TableName: table, ...input, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []).map((item) => strip(item)!));
      start = page.LastEvaluatedKey;
    } while (start && items.length < (input.Limit ?? 1000));
    return items;
  };
  return {
    create: (ticket, nextTimerAt) =>
      failedCondition(() =>
        documents.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...keyOf(ticket.ticketId),
              ...ticket,
              filerKey: filerKeyOf(ticket),
              ...(nextTimerAt ? { nextTimerAt, timerShard: timerShardOf(ticket.ticketId) } : {}),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      ),
    remove: (ticketId, whileAt) => {
      const still = stillAt(whileAt);
      return failedCondition(() =>
        documents.send(
          new DeleteCommand({
            TableName: table,
            Key: keyOf(ticketId),
            ConditionExpression: still.condition,
            ...(whileAt ? { ExpressionAttributeNames: still.names, ExpressionAttributeValues: still.values } : {}),
          }),
        ),
      );
    },
    get: async (ticketId) => {
      const answer = await documents.send(
        new GetCommand({ TableName: table, Key: keyOf(ticketId), ConsistentRead: true }),
      );
      return strip(answer.Item);
    },
    transition: (ticketId, expectedVersion, changes, entry) => {
      const update = updateOf(ticketId, changes, ['#version = :next', '#history = list_append(#history, :entry)']);
      return failedCondition(() =>
        documents.send(
          new UpdateCommand({
            TableName: table,
            Key: keyOf(ticketId),
            UpdateExpression: update.expression,
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { ...update.names, '#version': 'version', '#history': 'history' },
            ExpressionAttributeValues: {
              ...update.values,
              ':expected': expectedVersion,
              ':next': expectedVersion + 1,
              ':entry': [entry],
            },
          }),
        ),
      );
    },
    linkDuplicate: (ticketId, duplicateId, entry) =>
      failedCondition(() =>
        documents.send(
          new UpdateCommand({
            TableName: table,
            Key: keyOf(ticketId),
            UpdateExpression: 'SET #history = list_append(#history, :entry) ADD linked :one',
            ConditionExpression: 'attribute_exists(pk) AND NOT contains(linked, :id)',
            ExpressionAttributeNames: { '#history': 'history' },
            ExpressionAttributeValues: { ':entry': [entry], ':one': new Set([duplicateId]), ':id': duplicateId },
          }),
        ),
      ),
    claimDuplicateKey: async (key, ticketId, now, replacing) => {
      const pk = `dup#${createHash('sha256').update(key).digest('base64url')}`;
      const epoch = Math.floor(now.getTime() / 1000);
      const claimed = await failedCondition(() =>
        documents.send(
          new PutCommand({
            TableName: table,
            Item: { pk, sk: 'dup', ticketId, expiresAt: epoch + DUPLICATE_WINDOW_SECONDS },
            ConditionExpression: replacing
              ? 'ticketId = :replacing OR ticketId = :me'
              : 'attribute_not_exists(pk) OR expiresAt < :now OR ticketId = :me',
            ExpressionAttributeValues: replacing
              ? { ':replacing': replacing, ':me': ticketId }
              : { ':now': epoch, ':me': ticketId },
          }),
        ),
      );
      if (claimed) return ticketId;
      const held = await documents.send(
        new GetCommand({ TableName: table, Key: { pk, sk: 'dup' }, ConsistentRead: true }),
      );
      return String(held.Item?.ticketId ?? ticketId);
    },
    markTimer: (ticketId, mark, changes, entry) => {
      const update = updateOf(ticketId, changes, ['#history = list_append(#history, :entry)']);
      return failedCondition(() =>
        documents.send(
          new UpdateCommand({
            TableName: table,
            Key: keyOf(ticketId),
            UpdateExpression: update.expression,
            ConditionExpression: `attribute_not_exists(#mark) AND #status IN (${OPEN.join(', ')})`,
            ExpressionAttributeNames: { ...update.names, '#mark': mark, '#status': 'status', '#history': 'history' },
            ExpressionAttributeValues: { ...update.values, ...OPEN_VALUES, ':entry': [entry] },
          }),
        ),
      );
    },
    setNextTimer: (ticketId, nextTimerAt, whileAt) => {
      const update = updateOf(ticketId, { nextTimerAt: nextTimerAt ?? null });
      const still = stillAt(whileAt);
      const values = { ...update.values, ...still.values };
      return failedCondition(() =>
        documents.send(
          new UpdateCommand({
            TableName: table,
            Key: keyOf(ticketId),
            UpdateExpression: update.expression,
            ConditionExpression: still.condition,
            ExpressionAttributeNames: { ...update.names, ...still.names },
            ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          }),
        ),
      );
    },
    dueTimers: async (now, limit) => {
      const shards = Array.from({ length: TIMER_SHARDS }, (_, i) => `t#${i}`);
      const pages = await Promise.all(
        shards.map((shard) =>
          query({
            IndexName: INDEXES.timers,
            KeyConditionExpression: 'timerShard = :shard AND nextTimerAt <= :now',
            ExpressionAttributeValues: { ':shard': shard, ':now': now.toISOString() },
            Limit: limit,
          }),
        ),
      );
      return pages.flat().slice(0, limit);
    },
    byDepartment: async (department, filter) => {
      const own = query({
        IndexName: INDEXES.byDepartment,
        KeyConditionExpression: 'department = :department',
        ExpressionAttributeValues: { ':department': department },
        ScanIndexForward: false,
      });
      // The supervisor's queue: its own tickets and every escalated one.
      const escalated =
        department === 'dept-supervisor'
          ? query({
              IndexName: INDEXES.escalations,
              KeyConditionExpression: 'escalatedTo = :department',
              ExpressionAttributeValues: { ':department': department },
              ScanIndexForward: false,
            })
          : Promise.resolve([]);
      const seen = new Set<string>();
      return [...(await own), ...(await escalated)].filter((ticket) => {
        if (seen.has(ticket.ticketId)) return false;
        seen.add(ticket.ticketId);
        return (
          (!filter.status || ticket.status === filter.status) && (!filter.sla || slaStateOf(ticket) === filter.sla)
        );
      });
    },
    byFiler: (filer, limit) =>
      query({
        IndexName: INDEXES.byFiler,
        KeyConditionExpression: 'filerKey = :filer',
        ExpressionAttributeValues: { ':filer': filer },
        ScanIndexForward: false,
        Limit: limit,
      }),
  };
}
