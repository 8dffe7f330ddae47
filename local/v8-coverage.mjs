// Precise V8 coverage of the current thread, for `npm test`'s coverage of the code that runs in
// Lambda sandboxes (local/lambda-worker.mjs) and in child processes (test/setup/coverage-child.mjs).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * Starts precise coverage (call counts, block detail) and returns a synchronous `post`: a
 * same-thread inspector session answers at once, so it also works in an exit handler.
 */
export function startPreciseCoverage() {
  const session = new Session();
  session.connect();
  const post = (method, params) => {
    let answer;
    session.post(method, params, (error, result) => {
      if (error) throw error;
      answer = result;
    });
    return answer;
  };
  post('Profiler.enable');
  post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  return { session, post };
}

/**
 * Keeps the code V8 ran (and its source map) under `<dir>/sources/<sha1>.json`, once per content,
 * since the file it came from may be gone when the counts are mapped back to the .ts sources
 * (test/setup/coverage-provider.ts). Returns the hash the counts refer to.
 */
export function keepSource(dir, url, code, map, writer) {
  const source = createHash('sha1').update(code).digest('hex');
  const sourceFile = join(dir, 'sources', `${source}.json`);
  if (!existsSync(sourceFile)) {
    mkdirSync(join(dir, 'sources'), { recursive: true });
    // Written aside and renamed, so a concurrent reader never sees half a file.
    writeFileSync(`${sourceFile}.${writer}`, JSON.stringify({ url, code, map }));
    renameSync(`${sourceFile}.${writer}`, sourceFile);
  }
  return source;
}
