import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * vitest's own order (by project, then the slowest first), except that the e2e files go last: their
 * `npm start` boots while the other files run (test/setup/target.ts), instead of holding them up.
 */
export class E2eLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isE2e = (file: TestSpecification) => file.project.name === 'e2e';
    return [...sorted.filter((file) => !isE2e(file)), ...sorted.filter(isE2e)];
  }
}
