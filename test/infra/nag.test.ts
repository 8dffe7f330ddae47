import { Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type DgovApp } from '../../infra/app.ts';
import {
  acknowledgeFindings,
  findings,
  pathInStack,
  SUPPRESSIONS,
  type Finding,
  type Suppression,
} from '../../infra/nag.ts';
import { scratchDir } from '../../local/scratch.ts';

/**
 * cdk-nag, AWS Solutions and NIST 800-53 rev 5, over all six stacks (three layers, two regions):
 * zero findings left once infra/nag.ts's suppressions are acknowledged, a real reason on every
 * suppression, and no suppression that covers nothing.
 */
const MIN_REASON = 60;
const dirs: string[] = [];
const build = (context: Record<string, unknown>): DgovApp => {
  const outdir = scratchDir('nag');
  dirs.push(outdir);
  // cdk-nag reads the constructs, not the bundles: skip bundling, as test/infra/synth.ts does.
  return buildApp({
    outdir,
    context: { 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: false,
  });
};

interface Run {
  name: string;
  built: DgovApp;
  acknowledged: { finding: Finding; suppression: Suppression }[];
  left: Finding[];
}
const runs: Run[] = [];

beforeAll(() => {
  for (const [name, context] of Object.entries({
    dev: {},
    'prod with a domain': {
      stage: 'prod',
      domain: 'api.dgov.example.gov.cn',
      hostedZoneId: 'Z0123456789EXAMPLE',
      alarmEmail: 'ops@example.gov.cn',
    },
    'prod, key files (the embedded runtime)': {
      stage: 'prod',
      auditKey: 'file:/tmp/dgov/audit.pem',
      tokenKeys: 'file:/tmp/dgov/token.pem',
      licenceSealKeys: 'SM2-SM3:file:/tmp/dgov/licence-seal-sm2.pem,ES256:file:/tmp/dgov/licence-seal-es256.pem',
    },
  })) {
    const built = build(context);
    // As `cdk synth` sees it: after synthesis, cross-stack references are imports.
    built.app.synth();
    const acknowledged = acknowledgeFindings(built.app);
    runs.push({ name, built, acknowledged, left: findings(built.app) });
  }
});
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('cdk-nag: AwsSolutions and NIST 800-53 rev 5', () => {
  it('checks all three stacks of both regions', () => {
    for (const run of runs) {
      const stacks = new Set(run.acknowledged.map(({ finding }) => finding.constructPath.split('/')[0]));
      for (const region of run.built.regions) {
        for (const stack of [region.base, region.stateful, region.stateless])
          expect([...stacks], `${run.name}: ${stack.stackName} was checked and had findings to judge`).toContain(
            stack.stackName,
          );
      }
      expect(run.acknowledged.some(({ finding }) => finding.rule.startsWith('AwsSolutions-'))).toBe(true);
      expect(run.acknowledged.some(({ finding }) => finding.rule.startsWith('NIST.800.53.R5-'))).toBe(true);
    }
  });

  it('leaves zero unsuppressed findings, errors and warnings alike', () => {
    for (const run of runs)
      expect(
        run.left.map((finding) => `${finding.severity} ${finding.id} at ${finding.constructPath}`),
        run.name,
      ).toEqual([]);
  });

  it('gives every suppression a specific reason', () => {
    const reasons = new Set<string>();
    for (const suppression of SUPPRESSIONS) {
      expect(suppression.reason.trim().length, `${suppression.rule}: reason too short`).toBeGreaterThanOrEqual(
        MIN_REASON,
      );
      expect(suppression.rule).toMatch(/^(AwsSolutions|NIST\.800\.53\.R5)-[A-Za-z0-9]+$/);
      expect(reasons.has(suppression.reason), `${suppression.rule}: reason copied from another suppression`).toBe(
        false,
      );
      reasons.add(suppression.reason);
    }
  });

  it('acknowledges each finding on its own construct, with the reason of the suppression that covers it', () => {
    for (const run of runs) {
      const byPath = new Map(run.built.app.node.findAll().map((node) => [node.node.path, node]));
      for (const { finding, suppression } of run.acknowledged) {
        const construct = byPath.get(finding.constructPath)!;
        const entries = construct.node.metadata.filter(
          (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
        );
        const reasons = entries
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
          .filter(([id]) => id.replace(/^annotation::/i, '') === finding.id)
          .map(([, reason]) => reason);
        expect(reasons, `${finding.id} at ${finding.constructPath}`).toContain(suppression.reason);
      }
      // And nothing else in the tree acknowledges a nag rule: infra/nag.ts is the only place.
      const all = run.built.app.node.findAll().flatMap((node) =>
        node.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) =>
            Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
              path: node.node.path,
              id: id.replace(/^annotation::/i, ''),
              reason,
            })),
          ),
      );
      for (const acknowledgment of all.filter(({ id }) => /^(AwsSolutions|NIST)/.test(id))) {
        expect(acknowledgment.reason.length, `${acknowledgment.id} at ${acknowledgment.path}`).toBeGreaterThanOrEqual(
          MIN_REASON,
        );
        expect(
          run.acknowledged.some(
            ({ finding }) => finding.id === acknowledgment.id && finding.constructPath === acknowledgment.path,
          ),
          `${acknowledgment.id} at ${acknowledgment.path} is acknowledged outside infra/nag.ts`,
        ).toBe(true);
      }
    }
  });

  it('has no suppression that covers nothing (a stale one would hide the next real finding)', () => {
    for (const suppression of SUPPRESSIONS) {
      const used = runs.some((run) => run.acknowledged.some((entry) => entry.suppression === suppression));
      expect(used, `${suppression.rule} ${suppression.path} covers no finding`).toBe(true);
    }
  });

  it('never suppresses a finding on the data itself: tables, buckets holding data, queues, keys', () => {
    for (const run of runs) {
      for (const { finding } of run.acknowledged) {
        const path = pathInStack(finding.constructPath);
        if (
          /^(ControlTable|IdentityTable|AuditBucket|AuditQueue|AuditDeadLetters|[A-Za-z]+Key)\/Resource$/.test(path) ||
          /^(AuditBucket|[A-Za-z]+DrCopy)\/Resource$/.test(path)
        ) {
          // A DR copy is exempt from the replication rule only: it is the replica.
          expect(`${finding.rule} ${path}`, run.name).toMatch(
            /^NIST\.800\.53\.R5-S3BucketReplicationEnabled [A-Za-z]+DrCopy\/Resource$/,
          );
        }
      }
    }
  });
});

describe('cdk-nag as a synth gate (-c nag=true, set in cdk.json)', () => {
  it('synthesizes the app with both packs registered', () => {
    const { app } = build({ nag: 'true' });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding nobody suppressed (the gate can fail)', () => {
    const built = build({ nag: 'true' });
    new Bucket(built.stateful, 'CarelessBucket'); // unencrypted by KMS, no logging, no SSL policy, no replication
    expect(() => built.app.synth()).toThrow();
    const left = [new AwsSolutionsChecks(), new NIST80053R5Checks()].flatMap(
      (pack) => pack.validateScope(built.app).violations,
    );
    expect(
      left.some((violation) =>
        violation.violatingResources.some((resource) => resource.constructPath?.includes('CarelessBucket')),
      ),
    ).toBe(true);
  });
});
