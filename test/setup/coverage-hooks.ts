/**
 * Work that must finish before coverage is read: vitest generates coverage before it tears down
 * the global setups, but the `npm start` child of the e2e project writes its coverage, and its
 * sandboxes', only when it stops. Kept on globalThis: the global setups and the coverage provider
 * are loaded by different module runners of the same process.
 */
const KEY = Symbol.for('dgov.beforeCoverage');
type Hooks = Set<() => Promise<void>>;
const hooks = (): Hooks => ((globalThis as { [KEY]?: Hooks })[KEY] ??= new Set());

export function beforeCoverage(hook: () => Promise<void>): void {
  hooks().add(hook);
}

export async function runBeforeCoverage(): Promise<void> {
  for (const hook of hooks()) await hook();
  hooks().clear();
}
