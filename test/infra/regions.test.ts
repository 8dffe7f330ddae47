import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logicalId, ourFunctions, synthesize, type Json, type Synthesized } from './synth.ts';

const PRIMARY = 'eu-west-1';
const REPLICA = 'eu-central-1';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ stage: 'prod', primaryRegion: PRIMARY, replicaRegion: REPLICA });
});

afterAll(() => synth?.dispose());

describe('prod with region overrides', () => {
  it('reads both regions from context', () => {
    expect(synth.config).toMatchObject({ stage: 'prod', primaryRegion: PRIMARY, replicaRegion: REPLICA });
  });

  it('synthesizes both stacks, with templates, into the cloud assembly', () => {
    for (const name of ['dgov-prod-stateful', 'dgov-prod-stateless']) {
      const artifact = synth.assembly.getStackByName(name);
      expect(Object.keys((artifact.template as { Resources: Json }).Resources).length, name).toBeGreaterThan(0);
    }
  });

  it('puts both stacks in the primary region', () => {
    expect(synth.stateful.region).toBe(PRIMARY);
    expect(synth.stateless.region).toBe(PRIMARY);
    for (const name of ['dgov-prod-stateful', 'dgov-prod-stateless']) {
      expect(synth.assembly.getStackByName(name).environment.region, name).toBe(PRIMARY);
    }
  });

  it('creates the control table replica in the primary region', () => {
    const table = synth.stateful$.Resources[logicalId(synth.stateful.controlTable)]!;
    expect((table.Properties?.Replicas as Json[]).map((replica) => replica.Region)).toContain(PRIMARY);
  });

  it('bundles the functions for the primary region (asset bucket) and leaves no default region behind', () => {
    for (const fn of ourFunctions(synth.stateless$)) expect(JSON.stringify(fn.props.Code), fn.service).toContain(PRIMARY);
    expect(JSON.stringify(synth.stateful$)).not.toContain('cn-north');
    expect(JSON.stringify(synth.stateless$)).not.toContain('cn-north');
  });
});
