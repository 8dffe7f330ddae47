import type { PendingObject } from '../../functions/audit/domain.ts';
import type { Claim, WriterPorts } from '../../functions/audit/write-batch.ts';

/** Runs one port call; a scheduler passed here decides when, so races can be explored. */
export type Step = <T>(label: string, run: () => T) => Promise<T>;

/**
 * The audit writer's ports over maps, with the store's semantics: a claim succeeds for all its
 * events or none, each only if its claim is still what the writer saw or is this object already.
 */
export function memoryWriterPorts(step: Step = async (_label, run) => run()) {
  const claims = new Map<string, Claim>();
  const objects = new Map<string, Buffer>();
  const pending = new Map<string, PendingObject>();
  const ports: WriterPorts = {
    claims: (ids) =>
      step('claims', () => new Map(ids.flatMap((id) => (claims.has(id) ? [[id, { ...claims.get(id)! }]] : [])))),
    objectExists: (key) => step(`objectExists ${key}`, () => objects.has(key)),
    recordPending: (object) => step(`recordPending ${object.key}`, () => void pending.set(object.key, object)),
    claimEvents: (key, requests, times) =>
      step(`claimEvents ${key}`, () => {
        const unchanged = requests.every(({ eventId, seen }) => {
          const now = claims.get(eventId);
          if (now?.objectKey === key) return true;
          return seen ? now?.objectKey === seen.objectKey && now.claimedAt === seen.claimedAt : now === undefined;
        });
        if (unchanged) for (const { eventId } of requests) claims.set(eventId, { objectKey: key, ...times });
        return unchanged;
      }),
    // S3's conditional write (If-None-Match: *): an object is never replaced.
    putObject: (key, bytes) =>
      step(`putObject ${key}`, () => {
        if (!objects.has(key)) objects.set(key, bytes);
      }),
  };
  return { ports, claims, objects, pending };
}
