import type { Holder, LicenceRecord } from '../../../functions/licences/model.ts';
import type { IssueOutcome, LicenceStore } from '../../../functions/licences/ports.ts';

const copy = <T>(value: T): T => structuredClone(value);

/** The licence store in memory, with the same one-winner semantics as the DynamoDB adapter. */
export class MemoryLicenceStore implements LicenceStore {
  readonly licences = new Map<string, LicenceRecord>();
  readonly matters = new Map<string, string>();
  readonly lists = new Map<string, Set<number>>();
  private counter = 0;

  async byMatter(issuer: string, matterId: string) {
    const id = this.matters.get(`${issuer}#${matterId}`);
    return id ? this.get(id) : undefined;
  }
  async create(record: LicenceRecord): Promise<IssueOutcome> {
    const key = `${record.issuer}#${record.matterId}`;
    const winner = this.matters.get(key);
    if (winner) return { created: false, existing: (await this.get(winner))! };
    this.matters.set(key, record.licenceId);
    this.licences.set(record.licenceId, copy(record));
    return { created: true };
  }
  async get(licenceId: string) {
    const record = this.licences.get(licenceId);
    return record ? copy(record) : undefined;
  }
  async byHolder(holder: Holder, limit: number) {
    return [...this.licences.values()]
      .filter((record) => record.document.holder.kind === holder.kind && record.document.holder.id === holder.id)
      .sort((a, b) => b.document.issuedAt.localeCompare(a.document.issuedAt))
      .slice(0, limit)
      .map(copy);
  }
  async revoke(licenceId: string, listId: string, index: number, reason: string, at: string) {
    const record = this.licences.get(licenceId);
    if (record?.status !== 'valid') return false;
    Object.assign(record, { status: 'revoked', revokedAt: at, revokeReason: reason });
    record.announced.revoked = false;
    this.lists.set(listId, (this.lists.get(listId) ?? new Set()).add(index));
    return true;
  }
  async markAnnounced(licenceId: string, event: 'issued' | 'revoked') {
    const record = this.licences.get(licenceId);
    if (record) record.announced[event] = true;
  }
  async nextStatusIndex() {
    return this.counter++;
  }
  async revokedIndexes(listId: string) {
    return [...(this.lists.get(listId) ?? [])];
  }
}
