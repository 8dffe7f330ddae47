import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The e2e files that take the audit trail's lock (test/support/trail-lock.ts): they run one after the
 * other for half a minute or more each, so they start before the other e2e files rather than after them.
 */
const E2E_LOCK_HOLDERS = ['test/e2e/audit/audit-cli.test.ts', 'test/e2e/journeys/journeys.test.ts'];

/**
 * vitest's own order (by project, then the slowest first), except that the e2e files go last: their
 * `npm start` boots while the other files run (test/setup/target.ts), instead of holding them up.
 * Among them, the trail lock's holders go first.
 */
export class E2eLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isE2e = (file: TestSpecification) => file.project.name === 'e2e';
    const holdsLock = (file: TestSpecification) => E2E_LOCK_HOLDERS.some((path) => file.moduleId.endsWith(`/${path}`));
    const e2e = sorted.filter(isE2e);
    return [
      ...sorted.filter((file) => !isE2e(file)),
      ...e2e.filter(holdsLock),
      ...e2e.filter((file) => !holdsLock(file)),
    ];
  }
}
