import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logicalId, ourFunctions, resourcesOfType, synthesize, type Json, type Synthesized } from './synth.ts';
import { ControlData } from '../../infra/control-data.ts';
import { AuditData } from '../../infra/capabilities/audit/data.ts';
import { IDENTITY_ENV } from '../../functions/identity/env.ts';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ stage: 'prod' });
});

afterAll(() => synth?.dispose());

describe('-c stage=prod', () => {
  it('names the stacks after the stage, layer and region, in the default primary and replica regions', () => {
    expect(synth.stateful.stackName).toBe('dgov-prod-stateful-cn-north-1');
    expect(synth.stateless.stackName).toBe('dgov-prod-stateless-cn-north-1');
    expect(synth.stateful.region).toBe('cn-north-1');
    expect(synth.stateless.region).toBe('cn-north-1');
    expect(synth.regions.map((region) => region.region)).toEqual(['cn-north-1', 'cn-northwest-1']);
    for (const { region, base, stateful, stateless } of synth.regions) {
      for (const [layer, stack] of Object.entries({ base, stateful, stateless })) {
        expect(stack.stackName).toBe(`dgov-prod-${layer}-${region}`);
        expect(stack.region).toBe(region);
        expect(synth.assembly.getStackByName(stack.stackName).environment.region).toBe(region);
      }
    }
    expect(synth.assembly.stacks).toHaveLength(6);
  });

  it('hashes passwords at scrypt N=2^17 in both regions: the identity function has no DGOV_PASSWORD_SCRYPT_N', () => {
    for (const region of synth.regions) {
      const identity = ourFunctions(region.stateless$).find((fn) => fn.service === 'identity');
      expect(identity, region.region).toBeDefined();
      expect(Object.keys(identity!.variables), region.region).not.toContain(IDENTITY_ENV.passwordScryptN);
    }
  });

  it('protects the control table from deletion and retains it, in both regions', () => {
    const table = synth.stateful$.Resources[logicalId(synth.stateful.data.get(ControlData).table)]!;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    const replicas = table.Properties?.Replicas as Json[];
    expect(replicas.map((replica) => replica.Region).sort()).toEqual(['cn-north-1', 'cn-northwest-1']);
    for (const replica of replicas) expect(replica.DeletionProtectionEnabled, String(replica.Region)).toBe(true);
  });

  it('retains the audit bucket', () => {
    expect(synth.stateful$.Resources[logicalId(synth.stateful.data.get(AuditData).bucket)]!.DeletionPolicy).toBe(
      'Retain',
    );
  });

  // Known bug: infra/stateful-stack.ts computes the stage's removalPolicy (line 29) but passes it
  // only to the table; the queues (lines 41 and 46) keep CDK's default DESTROY, so deleting a prod
  // stateful stack drops audit events still queued and every dead-lettered audit event.
  it('retains the audit queue and its dead letters in prod, in both regions (stateful-stack.ts gives queues no removalPolicy)', () => {
    for (const region of synth.regions) {
      for (const queue of [
        region.stateful.data.get(AuditData).queue,
        region.stateful.data.get(AuditData).deadLetters,
      ]) {
        const resource = region.stateful$.Resources[logicalId(queue)]!;
        expect(resource.DeletionPolicy, `${region.region} ${queue.node.id}`).toBe('Retain');
        expect(resource.UpdateReplacePolicy, `${region.region} ${queue.node.id}`).toBe('Retain');
      }
    }
  });

  it('keeps function logs a year and retains them, in both regions', () => {
    for (const region of synth.regions) {
      const groups = new Map(resourcesOfType(region.stateless$, 'AWS::Logs::LogGroup'));
      const functions = ourFunctions(region.stateless$);
      expect(functions.length).toBeGreaterThan(0);
      for (const fn of functions) {
        const group = groups.get((fn.props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref)!;
        expect(group.Properties?.RetentionInDays, `${region.region} ${fn.service}`).toBeGreaterThanOrEqual(365);
        expect(group.DeletionPolicy, `${region.region} ${fn.service}`).toBe('Retain');
        expect(fn.variables.DGOV_STAGE, `${region.region} ${fn.service}`).toBe('prod');
      }
    }
  });
});
