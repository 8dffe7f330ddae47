import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { target } from './target.ts';

/**
 * The e2e files share one audit trail, and two of them change it on purpose (they seal it, and
 * tamper with an object to see verify catch it). Each runs those parts holding this lock, a directory
 * beside the target's environment, so another file never verifies the trail in the middle of them.
 */
export async function withTrailLock<T>(run: () => Promise<T>): Promise<T> {
  const lock = join(target.localDir ?? tmpdir(), 'dgov-e2e-audit-trail.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A holder that died without letting go: after two minutes the lock is taken over.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${lock} held for over two minutes`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await run();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The same lock, held from a file's beforeAll (await `taken`) to its afterAll (`release()`). */
export function holdTrailLock(): { taken: Promise<void>; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const taken = new Promise<void>((resolve, reject) => {
    withTrailLock(async () => {
      resolve();
      await released;
    }).catch(reject);
  });
  return { taken, release };
}
