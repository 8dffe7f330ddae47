/**
 * Records that must outlive their expiry (codes, token families). The table's TTL attribute is
 * `expiresAt` (infra/replication.ts SINGLE_TABLE): the item holds there when it may be deleted, and
 * in `validUntil` the record's own expiry, which the use cases check. `fromKeptItem` answers the
 * record with `expiresAt` = its own expiry again; an item written before `validUntil` existed has
 * only its own expiry, in `expiresAt`.
 */
export const toKeptItem = <V extends { expiresAt: number }>(record: V, keptSeconds: number) => ({
  ...record,
  validUntil: record.expiresAt,
  expiresAt: record.expiresAt + keptSeconds,
});

export const fromKeptItem = <V extends { expiresAt: number }>(item: V & { validUntil?: number }): V => {
  const { validUntil, ...record } = item;
  return { ...record, expiresAt: validUntil ?? record.expiresAt } as unknown as V;
};
