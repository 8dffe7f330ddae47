import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../infra/project-root.ts';

/**
 * A scratch directory inside the project (under .local/, ignored by git). Bundles synthesized
 * there resolve `@aws-sdk/*` from the project's node_modules, as Lambda's runtime provides them.
 */
export function scratchDir(prefix: string): string {
  const base = join(PROJECT_ROOT, '.local', 'tmp');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${prefix}-`));
}
