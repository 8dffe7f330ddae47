import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES } from '../../../functions/capabilities.ts';
import type { CapabilityManifest } from '../../../shared/capability.ts';
import { routeKey } from '../../../shared/route-contract.ts';

/**
 * The fuzz covers the suite as the manifests describe it: each capability with HTTP routes has its
 * file here, and that file names every route of its manifest in its specs (the file itself fails on
 * a route without one when it runs). A new capability or route cannot go unfuzzed.
 */
const HERE = join(import.meta.dirname);

describe('fuzz coverage', () => {
  const capabilities = CAPABILITIES as readonly CapabilityManifest[];
  it.each(
    capabilities
      .filter((capability) => capability.functions.some((fn) => fn.routes?.length || fn.servesDefaultRoute))
      .map((capability) => [capability.name, capability] as const),
  )('%s: a fuzz file that names each of its routes', (name, capability) => {
    const file = join(HERE, `${name}.test.ts`);
    expect(existsSync(file), `test/unit/fuzz/${name}.test.ts`).toBe(true);
    const source = readFileSync(file, 'utf8');
    for (const route of capability.functions.flatMap((fn) => fn.routes ?? []))
      expect(source, `${routeKey(route)} has no fuzz spec in ${name}.test.ts`).toContain(`'${routeKey(route)}'`);
    if (capability.functions.some((fn) => fn.servesDefaultRoute)) expect(source).toContain('$default');
  });

  it('queue consumers: each queue function has its property in consumers.test.ts', () => {
    const source = readFileSync(join(HERE, 'consumers.test.ts'), 'utf8');
    for (const fn of capabilities.flatMap((capability) => capability.functions).filter((item) => item.kind === 'queue'))
      expect(source, `${fn.service} has no property`).toContain(`'${fn.service}'`);
  });
});
