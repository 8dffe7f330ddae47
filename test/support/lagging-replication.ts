import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

type Key = { pk: string; sk: string };
type Region = { name: string; documents: DynamoDBDocumentClient };

/** The items a write command touched, by table. */
function writtenKeys(command: object): { table: string; key: Key }[] {
  const name = command.constructor.name;
  const input = (command as { input: Record<string, unknown> }).input;
  if (name === 'PutCommand') return [{ table: input.TableName as string, key: keyOf(input.Item as Key) }];
  if (name === 'UpdateCommand' || name === 'DeleteCommand') {
    return [{ table: input.TableName as string, key: keyOf(input.Key as Key) }];
  }
  if (name === 'TransactWriteCommand') {
    return ((input as TransactWriteCommandInput).TransactItems ?? []).flatMap((item) => {
      const write = item.Put ?? item.Update ?? item.Delete;
      if (!write) return []; // a ConditionCheck writes nothing
      const key = 'Item' in write ? write.Item : write.Key;
      return [{ table: write.TableName!, key: keyOf(key as Key) }];
    });
  }
  return [];
}
const keyOf = (item: Key): Key => ({ pk: item.pk, sk: item.sk });

/**
 * Global-table replication between two DynamoDB Local instances, with a lag of `lagMs`: each write a
 * region's client makes is copied to the other region that long after it succeeded, as the whole item
 * then is in the source (or its absence), last writer wins, as global tables do per item. Conditional
 * writes are decided in the region that applies them: inside the lag each region sees only its own.
 *
 * `clientFor(region)` is the client the stores of that region use (its writes replicate); `drain`
 * waits for every copy scheduled so far; `hold` stretches the lag until `release`, so a test can act
 * "inside the lag" on a machine of any speed.
 */
export function laggingReplication(regions: [Region, Region], lagMs: number) {
  const pending = new Set<Promise<void>>();
  const copies = { count: 0 };
  // While held, copies wait: "inside the lag" for as long as a test needs, however slow the machine.
  let gate: Promise<void> = Promise.resolve();
  let open = () => {};
  const copy = async (from: Region, to: Region, table: string, key: Key) => {
    const { Item } = await from.documents.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    if (Item) await to.documents.send(new PutCommand({ TableName: table, Item }));
    else await to.documents.send(new DeleteCommand({ TableName: table, Key: key }));
    copies.count += 1;
  };
  const clients = new Map<string, DynamoDBDocumentClient>();
  for (const [index, region] of regions.entries()) {
    const other = regions[1 - index]!;
    const send = region.documents.send.bind(region.documents) as (command: object) => Promise<unknown>;
    // A client of its own over the same connection: the raw `documents` stays unreplicated, for the copies.
    const replicating = Object.create(region.documents) as DynamoDBDocumentClient;
    Object.assign(replicating, {
      send: async (command: object) => {
        const answer = await send(command);
        for (const { table, key } of writtenKeys(command)) {
          const later = new Promise<void>((resolve) => setTimeout(resolve, lagMs))
            .then(() => gate)
            .then(() => copy(region, other, table, key))
            .finally(() => pending.delete(later));
          pending.add(later);
        }
        return answer;
      },
    });
    clients.set(region.name, replicating);
  }
  return {
    clientFor: (region: string) => clients.get(region)!,
    copies,
    /** Holds every copy (made or to be made) until `release`. */
    hold: () => {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    release: () => open(),
    drain: async () => {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}
