import type { PendingObject } from '../../functions/audit/domain.ts';
import type { Claim, WriterPorts } from '../../functions/audit/write-batch.ts';

/** Runs one port call; a scheduler passed here decides when, so races can be explored. */
export type Step = <T>(label: string, run: () => T) => Promise<T>;

/**
 * The audit writer's ports over maps, with the store's semantics: a claim succeeds for all its
 * events or none, each only if its claim is still what the writer saw or is this object already; a key
 * is announced with one SHA-256; an object is put only where none is (S3's If-None-Match).
 */
export function memoryWriterPorts(step: Step = async (_label, run) => run()) {
  const claims = new Map<string, Claim>();
  const objects = new Map<string, Buffer>();
  const pending = new Map<string, PendingObject>();
  const ports: WriterPorts = {
    claims: (ids) =>
      step('claims', () => new Map(ids.flatMap((id) => (claims.has(id) ? [[id, { ...claims.get(id)! }]] : [])))),
    objectExists: (key) => step(`objectExists ${key}`, () => objects.has(key)),
    readObject: (key) => step(`readObject ${key}`, () => objects.get(key)),
    recordPending: (object) =>
      step(`recordPending ${object.key}`, () => {
        const announced = pending.get(object.key);
        if (announced && announced.sha256 !== object.sha256) return false;
        pending.set(object.key, object);
        return true;
      }),
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
        const stored = objects.get(key);
        if (!stored) objects.set(key, bytes);
        else if (!stored.equals(bytes)) throw new Error(`${key} is in the bucket with other bytes`);
      }),
  };
  return { ports, claims, objects, pending };
}
