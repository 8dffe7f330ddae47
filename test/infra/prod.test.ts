import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logicalId, ourFunctions, resourcesOfType, synthesize, type Json, type Synthesized } from './synth.ts';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ stage: 'prod' });
});

afterAll(() => synth?.dispose());

describe('-c stage=prod', () => {
  it('names the stacks after the stage, in the default primary region', () => {
    expect(synth.stateful.stackName).toBe('dgov-prod-stateful');
    expect(synth.stateless.stackName).toBe('dgov-prod-stateless');
    expect(synth.stateful.region).toBe('cn-north-1');
    expect(synth.stateless.region).toBe('cn-north-1');
  });

  it('protects the control table from deletion and retains it', () => {
    const table = synth.stateful$.Resources[logicalId(synth.stateful.controlTable)]!;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    const replicas = table.Properties?.Replicas as Json[];
    expect(replicas.length).toBeGreaterThan(0);
    for (const replica of replicas) expect(replica.DeletionProtectionEnabled, String(replica.Region)).toBe(true);
  });

  it('retains the audit bucket', () => {
    expect(synth.stateful$.Resources[logicalId(synth.stateful.auditBucket)]!.DeletionPolicy).toBe('Retain');
  });

  // Known bug: infra/stateful-stack.ts computes the stage's removalPolicy (line 29) but passes it
  // only to the table; the queues (lines 41 and 46) keep CDK's default DESTROY, so deleting a prod
  // stateful stack drops audit events still queued and every dead-lettered audit event.
  it('retains the audit queue and its dead letters in prod (stateful-stack.ts gives queues no removalPolicy)', () => {
    for (const queue of [synth.stateful.auditQueue, synth.stateful.auditDeadLetters]) {
      const resource = synth.stateful$.Resources[logicalId(queue)]!;
      expect(resource.DeletionPolicy, queue.node.id).toBe('Retain');
      expect(resource.UpdateReplacePolicy, queue.node.id).toBe('Retain');
    }
  });

  it('keeps function logs a year and retains them', () => {
    const groups = new Map(resourcesOfType(synth.stateless$, 'AWS::Logs::LogGroup'));
    const functions = ourFunctions(synth.stateless$);
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const group = groups.get((fn.props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref)!;
      expect(group.Properties?.RetentionInDays, fn.service).toBeGreaterThanOrEqual(365);
      expect(group.DeletionPolicy, fn.service).toBe('Retain');
      expect(fn.variables.DGOV_STAGE, fn.service).toBe('prod');
    }
  });
});
