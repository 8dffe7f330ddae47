import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createSingleTable } from '../../../local/single-table.ts';
import {
  digestKey,
  encodeEvents,
  sealPeriod,
  serialize,
  sha256Hex,
  signedBytes,
  type Digest,
} from '../../../functions/audit/domain.ts';
import { sealPorts, withSealLock, writerPorts } from '../../../functions/audit/store.ts';
import { ensureSigningKey } from '../../../local/keys.ts';
import { scratchDir } from '../../../local/scratch.ts';
import { fileSigner } from '../../../shared/crypto/signer.ts';
import { clients, event, freshTrail, region, sealedTrail, type Trail } from './fixture.ts';

/**
 * An attacker who can write the bucket but holds no signing key, against the local S3: each
 * attack leaves `dgov audit verify` at exit 1 naming the object, digest or region; undone, the
 * trail verifies clean again.
 */
const dir = scratchDir('audit-attacks');
const attackerKey = fileSigner(ensureSigningKey(join(dir, 'attacker.pem')));
let t: Trail;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  t = await freshTrail(dir);
});

/** Everything under the prefix as stored, to undo an attack byte for byte. */
async function snapshot(prefix: string) {
  const saved = new Map<string, Buffer>();
  for (const key of await t.keys(prefix)) saved.set(key, await t.read(key));
  return {
    async restore() {
      for (const key of await t.keys(prefix)) if (!saved.has(key)) await t.remove(key);
      for (const [key, bytes] of saved) await t.put(key, bytes);
    },
  };
}

async function expectCaught(...named: { kind: string; key: string }[]) {
  const { status, stdout } = await t.cli();
  expect(status, stdout).toBe(1);
  expect(stdout).toContain('NOT INTACT');
  if (process.env.SHOW_ATTACKS) console.error(stdout);
  for (const { kind, key } of named) expect(stdout).toContain(`${kind.toUpperCase()}  ${key}`);
}

async function expectClean() {
  const { status, stdout } = await t.cli();
  expect(stdout).toContain('INTACT');
  expect(status, stdout).toBe(0);
}

describe('an attacker with write access to the bucket and no signing key', () => {
  it('1. deletes the newest digest, then changes an object it listed', async () => {
    const { third } = await sealedTrail(t);
    await t.write([event()]);
    const fourth = await t.seal();
    const victim = fourth.digest.objects[0]!.key;
    const before = await snapshot('');
    await t.remove(fourth.key);
    await t.put(victim, encodeEvents([event('licences.revoke')]));
    // The control table's head names the removed digest at once...
    await expectCaught({ kind: 'head-mismatch', key: fourth.key });
    // ...and without it, one period plus grace later the chain is stale and the object unsealed, by name.
    const later = await t.verify({ recordedHead: undefined, now: new Date(Date.now() + 2 * 3_600_000) });
    expect(later.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'stale-chain', key: third.key }),
        expect.objectContaining({ kind: 'inserted', key: victim }),
      ]),
    );
    await before.restore();
    await expectClean();
  });

  it('2. deletes every digest of the region', async () => {
    const { objects } = await sealedTrail(t);
    const before = await snapshot('digests/');
    for (const key of await t.keys('digests/')) await t.remove(key);
    await expectCaught(
      { kind: 'missing-region', key: `digests/${region}-genesis.json` },
      { kind: 'inserted', key: objects[0]!.key },
    );
    await before.restore();
    await expectClean();
  });

  it('3. puts a forged events object under a region no chain has; query and report leave it out', async () => {
    await sealedTrail(t);
    const forged = `events/2026/11/29/08/cn-north-9-1795939200000-0123456789abcdef.jsonl.gz`;
    const fake = { ...event('licences.issue'), region: 'cn-north-9' };
    await t.put(forged, encodeEvents([fake]));
    await expectCaught({ kind: 'unknown-region', key: forged });
    expect((await t.query()).map((item) => item.event.eventId)).not.toContain(fake.eventId);
    expect((await t.query(true)).find((item) => item.event.eventId === fake.eventId)?.sealed).toBe(false);
    await t.remove(forged);
    await expectClean();
  });

  it('4. rewrites the whole trail and re-signs it with a key of their own', async () => {
    const { objects, third } = await sealedTrail(t);
    const before = await snapshot('');
    for (const key of await t.keys('digests/')) await t.remove(key);
    await t.put(objects[0]!.key, encodeEvents([event('licences.issue')]));
    // Their own control table and key: a complete, internally consistent chain over the altered trail.
    const table = `attacker-${randomUUID().slice(0, 8)}`;
    await createSingleTable(clients.dynamodb, table);
    const forged = { ...t.names, table };
    const writer = writerPorts(forged);
    for (const key of await t.keys('events/')) {
      const bytes = await t.read(key);
      await writer.recordPending({
        key,
        sha256: sha256Hex(bytes),
        size: bytes.length,
        events: 1,
        recordedAt: new Date().toISOString(),
      });
    }
    await withSealLock(forged, () => sealPeriod(region, new Date(), sealPorts(forged, attackerKey)));
    await expectCaught(
      { kind: 'untrusted-key', key: `digests/${region}-genesis.json` },
      { kind: 'head-mismatch', key: third.key },
    );
    await before.restore();
    await expectClean();
  });

  it('substitutes their key mid-chain: a digest signed with it, or a rotation to it', async () => {
    const { third } = await sealedTrail(t);
    const previous = await t.read(third.key);
    const stored = JSON.parse(previous.toString('utf8')) as Digest;
    const periodEnd = new Date();
    const unsigned: Digest = {
      ...stored,
      sequence: 4,
      periodStart: stored.periodEnd,
      periodEnd: periodEnd.toISOString(),
      objects: [],
      previous: { key: third.key, sha256: sha256Hex(previous), signature: stored.signature },
      nextKey: await attackerKey.publicJwk(),
      kid: await attackerKey.kid(),
    };
    const forged = { ...unsigned, signature: (await attackerKey.sign(signedBytes(unsigned))).toString('base64url') };
    const key = digestKey(region, 4, periodEnd);
    await t.put(key, serialize(forged));
    await expectCaught({ kind: 'bad-signature', key });
    expect((await t.verify()).regions[0]!.kid).toBe(await t.signer.kid()); // the forged rotation is not followed
    await t.remove(key);
    await expectClean();
  });

  it('replays an older digest in place of the newest', async () => {
    const { first, third } = await sealedTrail(t);
    const newest = await t.read(third.key);
    await t.put(third.key, await t.read(first.key));
    await expectCaught({ kind: 'broken-link', key: third.key }, { kind: 'head-mismatch', key: third.key });
    await t.put(third.key, newest);
    await expectClean();
  });

  it('moves a digest to another period', async () => {
    const { second, third } = await sealedTrail(t);
    const bytes = await t.read(second.key);
    const moved = second.key.replace(
      /\/(\d{2})\/(cn-north-1-\d{8}\.json)$/,
      (_m, hour: string, name: string) => `/${String((Number(hour) + 1) % 24).padStart(2, '0')}/${name}`,
    );
    await t.remove(second.key);
    await t.put(moved, bytes);
    await expectCaught({ kind: 'misplaced-digest', key: moved }, { kind: 'broken-link', key: third.key });
    await t.remove(moved);
    await t.put(second.key, bytes);
    await expectClean();
  });
});
