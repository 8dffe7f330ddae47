// The one function test/setup/coverage-provider.ts uses from @bcoe/v8-coverage (it ships no types).
declare module '@bcoe/v8-coverage' {
  import type { Profiler } from 'node:inspector';

  /** Sums the counts of several runs of the same scripts (matched by url). */
  export function mergeProcessCovs(processCovs: { result: Profiler.ScriptCoverage[] }[]): {
    result: Profiler.ScriptCoverage[];
  };
}
