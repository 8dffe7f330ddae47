// Coverage for `npm test`: vitest's own V8 provider, plus the code that runs where vitest cannot
// see it: the Lambda sandboxes (worker threads, local/lambda-worker.mjs) and the child processes
// that run the project's code (`npm start` for the e2e project, the CLI: coverage-child.mjs).
//
// How: with coverage on, DGOV_COVERAGE_DIR names a folder. Sandboxes and children collect precise
// V8 coverage through node:inspector (worker threads ignore NODE_V8_COVERAGE, and tsx's output
// exists only in memory) and write the counts there with the exact code V8 ran and its source map;
// bundles are built unminified with source maps for this (context dgov:coverage, local/synth.ts).
// Before vitest reads coverage, the `npm start` child is stopped (coverage-hooks.ts); then the
// counts of each distinct code are summed (@bcoe/v8-coverage), mapped back to the .ts sources with
// ast-v8-to-istanbul, the converter vitest uses itself, laid onto vitest's items for the same file
// (align) and merged into its coverage map before it reports and checks the thresholds: one
// report and one set of floors for all of it.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from '@vitest/coverage-v8';
import type convertCoverage from 'ast-v8-to-istanbul';
import type { CoverageProvider, CoverageProviderModule, ResolvedCoverageOptions, Vitest } from 'vitest/node';
import type { Profiler } from 'node:inspector';
import { runBeforeCoverage } from './coverage-hooks.ts';

type EncodedSourceMap = NonNullable<Parameters<typeof convertCoverage>[0]['sourceMap']>;

/** What a sandbox or the child writes: counts per script, `source` naming the code they ran. */
export interface SandboxCoverage {
  result: (Profiler.ScriptCoverage & { source: string })[];
}
/** sources/<source>.json: the code V8 ran, where it ran from, and its source map if not inline. */
export interface SandboxSource {
  url: string;
  code: string;
  map?: EncodedSourceMap;
}

interface V8Provider extends CoverageProvider {
  ctx: Vitest;
  options: ResolvedCoverageOptions;
  isIncluded(filename: string): boolean;
}
interface Location {
  start: { line: number; column: number | null };
  end: { line: number; column: number | null };
}
interface FileCoverageData {
  statementMap: Record<string, Location>;
  fnMap: Record<string, { decl: Location; loc: Location }>;
  branchMap: Record<string, { type: string; loc: Location; locations: Location[] }>;
  s: Record<string, number>;
  f: Record<string, number>;
  b: Record<string, number[]>;
}
interface CoverageMap {
  merge(data: object): void;
  files(): string[];
  fileCoverageFor(file: string): { data: FileCoverageData };
}

const provider: CoverageProviderModule = {
  ...v8,
  async getProvider() {
    const base = (await v8.getProvider()) as V8Provider;
    const initialize = base.initialize.bind(base);
    base.initialize = (ctx: Vitest) => {
      initialize(ctx);
      // Inherited by the test processes and their children: local/lambda-host.ts and local/synth.ts
      // read the folder, which is cleaned with the reports folder at the start of a run; the preload
      // makes child processes that run the project's code (npm start, the CLI) report too.
      process.env.DGOV_COVERAGE_DIR = join(base.options.reportsDirectory, '.sandboxes');
      const preload = `--import=${new URL('./coverage-child.mjs', import.meta.url).href}`;
      process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' ');
    };
    const generate = base.generateCoverage.bind(base);
    base.generateCoverage = async (context) => {
      await runBeforeCoverage();
      const map = (await generate(context)) as CoverageMap;
      await mergeSandboxes(base, map);
      return map;
    };
    return base;
  },
};
export default provider;

async function mergeSandboxes(base: V8Provider, map: CoverageMap): Promise<void> {
  const dir = process.env.DGOV_COVERAGE_DIR;
  if (!dir || !existsSync(dir)) return;
  const started = performance.now();
  let runCount = 0;
  // Loaded here: this module is also imported in every test process, which needs none of it.
  const [{ mergeProcessCovs }, { default: convert }, { parseAstAsync }] = await Promise.all([
    import('@bcoe/v8-coverage'),
    import('ast-v8-to-istanbul'),
    import('vitest/node'),
  ]);
  const bySource = new Map<string, { result: Profiler.ScriptCoverage[] }[]>();
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const written = JSON.parse(readFileSync(join(dir, name), 'utf8')) as SandboxCoverage;
    for (const { source, ...script } of written.result) {
      // Identical code runs from several folders (one synth per test file): merge it by content.
      const runs = bySource.get(source) ?? [];
      runs.push({ result: [{ ...script, url: source }] });
      runCount += 1;
      bySource.set(source, runs);
    }
  }
  for (const [source, runs] of bySource) {
    const sourceFile = join(dir, 'sources', `${source}.json`);
    if (!existsSync(sourceFile)) continue;
    const { url, code, map: ownMap } = JSON.parse(readFileSync(sourceFile, 'utf8')) as SandboxSource;
    const sourceMap = ownMap ?? inlineSourceMap(code);
    if (!sourceMap) continue;
    const sourceRoot = new URL(sourceMap.sourceRoot ?? '', url);
    sourceMap.sources = sourceMap.sources.map((file) => new URL(file ?? '', sourceRoot).href);
    sourceMap.sourceRoot = undefined;
    const [merged] = mergeProcessCovs(runs).result;
    const files = await convert({
      code,
      sourceMap,
      ast: parseAstAsync(code),
      coverage: { url, functions: merged!.functions },
      ignoreClassMethods: base.options.ignoreClassMethods,
    });
    for (const [file, coverage] of Object.entries(files)) {
      const path = file.startsWith('file:') ? fileURLToPath(file) : file;
      if (!base.isIncluded(path) || !existsSync(path)) continue;
      const known = map.files().includes(path) ? map.fileCoverageFor(path).data : undefined;
      map.merge({ [path]: known ? align(known, coverage as FileCoverageData) : coverage });
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const what = `${runCount} scripts run in sandboxes and child processes (${bySource.size} distinct)`;
  base.ctx.logger.log(` % Coverage: ${what}, mapped in ${seconds} s`);
}

function inlineSourceMap(code: string): EncodedSourceMap | undefined {
  const match = /\/\/# sourceMappingURL=data:application\/json(?:;charset=utf-8)?;base64,([\w+/=]+)\s*$/.exec(code);
  return match ? (JSON.parse(Buffer.from(match[1]!, 'base64').toString('utf8')) as EncodedSourceMap) : undefined;
}

/**
 * The counts of `source` laid onto the statements, functions and branches of `target`, the same
 * file as vitest mapped it. Both come from ast-v8-to-istanbul, but vitest ran code that vite
 * transformed and a sandbox ran esbuild's, whose source maps place some starts and ends a few
 * columns apart (`export const` and the like): merged as they are, such items would be counted
 * twice. Items are matched by exact location first, then in order within the same lines; a count
 * that matches nothing (code a bundle dropped, or placed too differently) is left out.
 */
function align(target: FileCoverageData, source: FileCoverageData): FileCoverageData {
  const at = (point: Location['start']) => `${point.line}:${point.column}`;
  const key = (loc: Location) => `${at(loc.start)}-${at(loc.end)}`;
  const lines = (loc: Location) => `${loc.start.line}-${loc.end.line}`;
  const aligned: FileCoverageData = {
    ...target,
    s: Object.fromEntries(Object.keys(target.s).map((id) => [id, 0])),
    f: Object.fromEntries(Object.keys(target.f).map((id) => [id, 0])),
    b: Object.fromEntries(Object.entries(target.b).map(([id, counts]) => [id, counts.map(() => 0)])),
  };
  delete (aligned as { all?: boolean }).all;
  pair(
    target.statementMap,
    source.statementMap,
    (loc) => loc,
    key,
    lines,
    (t, s) => (aligned.s[t] = source.s[s]!),
  );
  pair(
    target.fnMap,
    source.fnMap,
    (fn) => fn.decl,
    key,
    lines,
    (t, s) => (aligned.f[t] = source.f[s]!),
  );
  pair(
    target.branchMap,
    source.branchMap,
    (branch) => branch.loc,
    (loc) => key(loc),
    (loc) => lines(loc),
    (t, s) => {
      const counts = source.b[s]!;
      if (counts.length === aligned.b[t]!.length) aligned.b[t] = [...counts];
    },
    (branch) => `${branch.type}/${branch.locations.length}`,
  );
  return aligned;
}

function pair<T>(
  targets: Record<string, T>,
  sources: Record<string, T>,
  locOf: (item: T) => Location,
  exact: (loc: Location) => string,
  near: (loc: Location) => string,
  assign: (targetId: string, sourceId: string) => void,
  kind: (item: T) => string = () => '',
): void {
  const byExact = new Map(Object.entries(targets).map(([id, item]) => [`${kind(item)}|${exact(locOf(item))}`, id]));
  const left = new Map<string, { targets: string[]; sources: string[] }>();
  const group = (item: T) => {
    const name = `${kind(item)}|${near(locOf(item))}`;
    if (!left.has(name)) left.set(name, { targets: [], sources: [] });
    return left.get(name)!;
  };
  const matched = new Set<string>();
  for (const [id, item] of Object.entries(sources)) {
    const target = byExact.get(`${kind(item)}|${exact(locOf(item))}`);
    if (target !== undefined && !matched.has(target)) {
      matched.add(target);
      assign(target, id);
    } else group(item).sources.push(id);
  }
  for (const [id, item] of Object.entries(targets)) if (!matched.has(id)) group(item).targets.push(id);
  const column = (items: Record<string, T>) => (id: string) => locOf(items[id]!).start.column ?? 0;
  for (const { targets: ts, sources: ss } of left.values()) {
    if (ts.length === 0 || ts.length !== ss.length) continue;
    const byTarget = ts.sort((a, b) => column(targets)(a) - column(targets)(b));
    const bySource = ss.sort((a, b) => column(sources)(a) - column(sources)(b));
    for (const [index, id] of byTarget.entries()) assign(id, bySource[index]!);
  }
}
