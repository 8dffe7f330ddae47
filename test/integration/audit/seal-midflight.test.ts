import { rmSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { writerPorts } from '../../../functions/audit/store.ts';
import { writeBatch, type WriterPorts } from '../../../functions/audit/write-batch.ts';
import { scratchDir } from '../../../local/scratch.ts';
import { event, freshTrail, region, type Trail } from './fixture.ts';

const dir = scratchDir('audit-seal-midflight');
let t: Trail;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  t = await freshTrail(dir);
});

/** The real writer ports, paused before `step` until released. */
function pausedBefore(step: keyof WriterPorts) {
  const real = writerPorts(t.names);
  let release: () => void = () => undefined;
  let reached: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const at = new Promise<void>((resolve) => (reached = resolve));
  const ports = {
    ...real,
    [step]: async (...args: never[]) => {
      reached();
      await gate;
      return (real[step] as (...a: never[]) => Promise<unknown>)(...args);
    },
  } as WriterPorts;
  return { ports, at, release: () => release() };
}

/** Every digest's listed object keys, in chain order. */
async function listedKeys(): Promise<string[]> {
  const keys: string[] = [];
  for (const key of await t.keys('digests/'))
    if (!key.endsWith('genesis.json'))
      keys.push(...JSON.parse((await t.read(key)).toString()).objects.map((o: { key: string }) => o.key));
  return keys;
}

describe('the seal while writers are mid-flight', () => {
  it('an object announced but not written yet is left pending, and sealed once when it appears', async () => {
    const batch = [event(), event()];
    const writer = pausedBefore('putObject');
    const writing = writeBatch(region, batch, writer.ports);
    await writer.at;
    expect((await t.seal()).digest.objects).toEqual([]);
    writer.release();
    const { objects } = await writing;
    expect((await t.seal()).digest.objects.map((object) => object.key)).toEqual([objects[0]!.key]);
    expect((await t.seal()).digest.objects).toEqual([]);
    expect(await listedKeys()).toEqual([objects[0]!.key]);
    expect((await t.verify()).findings).toEqual([]);
    expect(await t.query()).toHaveLength(2);
  });

  it('a duplicate writer that announces an object after it was sealed, two seals later, does not get it sealed twice', async () => {
    const batch = [event(), event()];
    // B read the claims before A claimed, then stalls before announcing.
    const late = pausedBefore('recordPending');
    const writingLate = writeBatch(region, batch, late.ports);
    await late.at;
    const { objects } = await writeBatch(region, batch, writerPorts(t.names)); // A: the same batch, delivered twice
    await t.seal(); // lists it
    await t.seal(); // on demand, moments later
    late.release();
    await writingLate;
    await t.seal();
    expect(await listedKeys()).toEqual([objects[0]!.key]);
    // Listed twice, verify found nothing but counted 2 objects and 4 events.
    const report = await t.verify();
    expect(report.findings).toEqual([]);
    expect(report.regions.map(({ objects, events }) => ({ objects, events }))).toEqual([{ objects: 1, events: 2 }]);
  });
});
