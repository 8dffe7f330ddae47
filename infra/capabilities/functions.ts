import type { CapabilityManifest, FunctionManifest } from '../../shared/capability.ts';

/** The function of a manifest that has this service name (a typo fails the synth, naming it). */
export function functionOf(manifest: CapabilityManifest, service: string): FunctionManifest {
  const found = manifest.functions.find((fn) => fn.service === service);
  if (!found) throw new Error(`capability ${manifest.name} has no function ${service}`);
  return found;
}
