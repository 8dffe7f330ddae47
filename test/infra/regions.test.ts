import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logicalId, ourFunctions, synthesize, type Json, type Synthesized } from './synth.ts';
import { ControlData } from '../../infra/control-data.ts';

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

  it('synthesizes the three stacks of each region, with templates, into the cloud assembly', () => {
    for (const region of [PRIMARY, REPLICA]) {
      for (const layer of ['base', 'stateful', 'stateless']) {
        const name = `dgov-prod-${layer}-${region}`;
        const artifact = synth.assembly.getStackByName(name);
        expect(Object.keys((artifact.template as { Resources: Json }).Resources).length, name).toBeGreaterThan(0);
      }
    }
    expect(synth.assembly.stacks).toHaveLength(6);
  });

  it("puts each region's stacks in that region, the primary region's first", () => {
    expect(synth.stateful.region).toBe(PRIMARY);
    expect(synth.stateless.region).toBe(PRIMARY);
    expect(synth.regions.map((region) => [region.region, region.role.primary])).toEqual([
      [PRIMARY, true],
      [REPLICA, false],
    ]);
    for (const { region, base, stateful, stateless } of synth.regions) {
      for (const stack of [base, stateful, stateless]) {
        expect(stack.region, stack.stackName).toBe(region);
        expect(synth.assembly.getStackByName(stack.stackName).environment.region, stack.stackName).toBe(region);
      }
    }
  });

  it('creates the control table replica in the primary region and in the replica region', () => {
    const table = synth.stateful$.Resources[logicalId(synth.stateful.data.get(ControlData).table)]!;
    expect((table.Properties?.Replicas as Json[]).map((replica) => replica.Region).sort()).toEqual(
      [PRIMARY, REPLICA].sort(),
    );
  });

  it("bundles each region's functions for that region (asset bucket) and leaves no default region behind", () => {
    for (const { region, stateless$, stateful$, base$ } of synth.regions) {
      const functions = ourFunctions(stateless$);
      expect(functions.length).toBeGreaterThan(0);
      for (const fn of functions) expect(JSON.stringify(fn.props.Code), `${region} ${fn.service}`).toContain(region);
      for (const template of [base$, stateful$, stateless$]) expect(JSON.stringify(template)).not.toContain('cn-north');
    }
  });

  it('uses the aws partition in ARNs it writes (partition-aware: never a literal aws-cn)', () => {
    for (const { base$, stateful$, stateless$ } of synth.regions) {
      for (const template of [base$, stateful$, stateless$])
        expect(JSON.stringify(template)).not.toMatch(/arn:aws(-cn)?:/);
    }
  });
});
