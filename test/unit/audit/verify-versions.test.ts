import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyTrail } from '../../../cli/audit/verify.ts';
import type { ObjectVersion, TrailReader } from '../../../functions/audit/store.ts';
import { publicJwkOf } from '../../../shared/crypto/signer.ts';

const pinned = [publicJwkOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)];
const at = new Date('2026-11-29T09:00:00Z');
const version = (key: string, versionId: string, isLatest: boolean, deleteMarker = false): ObjectVersion => ({
  key,
  versionId,
  isLatest,
  deleteMarker,
  lastModified: at,
});

/** A versioned bucket as ListObjectVersions shows it (fauxqs 1.x has no versioning to test this against). */
const reader = (versions: ObjectVersion[] | undefined): TrailReader => ({
  list: async () => [],
  read: async () => undefined,
  versions: async () => versions,
});

describe('verify on a versioned bucket', () => {
  it('names every delete marker and every overwritten version', async () => {
    const report = await verifyTrail(
      reader([
        version('events/2026/11/29/08/cn-north-1-1-a.jsonl.gz', 'v2', true, true),
        version('events/2026/11/29/08/cn-north-1-1-a.jsonl.gz', 'v1', false),
        version('digests/2026/11/29/09/cn-north-1-00000003.json', 'v2', true),
        version('digests/2026/11/29/09/cn-north-1-00000003.json', 'v1', false),
        version('digests/cn-north-1-genesis.json', 'v1', true),
      ]),
      { trustedKeys: pinned },
    );
    expect(report.versions).toBe('checked');
    expect(report.findings.map(({ kind, key }) => [kind, key])).toEqual([
      ['overwritten', 'digests/2026/11/29/09/cn-north-1-00000003.json'],
      ['delete-marker', 'events/2026/11/29/08/cn-north-1-1-a.jsonl.gz'],
      ['overwritten', 'events/2026/11/29/08/cn-north-1-1-a.jsonl.gz'],
    ]);
    expect(report.findings[1]!.detail).toContain('v2');
  });

  it('says so when the bucket keeps no versions', async () => {
    const report = await verifyTrail(reader(undefined), { trustedKeys: pinned });
    expect(report).toMatchObject({ ok: true, versions: 'not-versioned' });
  });

  it('refuses to run with no pinned key', async () => {
    await expect(verifyTrail(reader([]), { trustedKeys: [] })).rejects.toThrow(/trusted audit key/);
  });
});
