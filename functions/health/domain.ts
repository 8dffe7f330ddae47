import { DEPENDENCIES, type DependencyName, type Health } from './contract.ts';

/** A probe resolves when its dependency answers and rejects (or times out) when it does not. */
export type Probe = () => Promise<void>;
export type Probes = Record<DependencyName, Probe>;

const withTimeout = (probe: Probe, ms: number): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    probe()
      .then(resolve, reject)
      .finally(() => clearTimeout(timer));
  });

/** Runs every probe at once, so /health takes as long as the slowest dependency, not the sum. */
export async function checkHealth(
  probes: Probes,
  info: { region: string; version: string },
  timeoutMs = 2_000,
): Promise<Health> {
  const results = await Promise.allSettled(DEPENDENCIES.map((name) => withTimeout(probes[name], timeoutMs)));
  const dependencies = Object.fromEntries(
    DEPENDENCIES.map((name, i) => [name, results[i]!.status === 'fulfilled' ? 'ok' : 'down']),
  ) as Health['dependencies'];
  const down = DEPENDENCIES.filter((name) => dependencies[name] === 'down');
  return {
    status: down.length === 0 ? 'ok' : 'unavailable',
    region: info.region,
    version: info.version,
    dependencies,
    ...(down.length > 0 ? { detail: `${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down` } : {}),
  };
}
