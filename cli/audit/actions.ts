import { writeFileSync } from 'node:fs';
import { AuditChainError, sealPeriod } from '../../functions/audit/domain.ts';
import { recordedHead, sealPorts, s3TrailReader, withSealLock, type TrailReader } from '../../functions/audit/store.ts';
import type { AuditEvent } from '../../shared/audit.ts';
import { signerFor } from '../../shared/crypto/kms-signer.ts';
import { auditTarget, type AuditTarget, type TargetOptions } from '../audit-target.ts';
import { progressBar } from '../progress.ts';
import { renderReport, summarize } from '../report.ts';
import { CliError } from '../target.ts';
import { queryTrail } from './query.ts';
import { readTrustedKey } from './trusted-key.ts';
import { UntrustedVerifyError, verifyTrail, type VerifyOptions, type VerifyReport } from './verify.ts';

// What `dgov audit …` does once commander has parsed its options; each returns the exit code.

interface Window {
  from?: string;
  to?: string;
}

function time(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new CliError(`--${name} "${value}" is not an RFC 3339 time`);
  return parsed;
}

function seconds(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new CliError(`--${name} takes a number`);
  return parsed;
}

interface VerifyFlags extends TargetOptions, Window {
  trustedKey?: string[];
  regions?: string;
  period?: string;
  grace?: string;
}

/** What verify trusts and expects, from outside the bucket: pinned keys, regions, the period, the heads. */
export function verifyOptions(
  flags: VerifyFlags,
  target: AuditTarget,
  onProgress?: (done: number, total: number) => void,
) {
  const trustedKeys = [...target.trustedKeys, ...(flags.trustedKey ?? []).map(readTrustedKey)];
  const { s3: _s3, documents, table } = target;
  return {
    from: time(flags.from, 'from'),
    to: time(flags.to, 'to'),
    trustedKeys,
    regions: flags.regions
      ? flags.regions
          .split(',')
          .map((region) => region.trim())
          .filter(Boolean)
      : target.regions,
    periodMs: seconds(flags.period, 'period', 60) * 60_000,
    graceMs: seconds(flags.grace, 'grace', 300) * 1000,
    recordedHead: table ? (region: string) => recordedHead(documents, table, region) : undefined,
    onProgress,
  };
}

export async function runVerify(reader: TrailReader, options: VerifyOptions): Promise<VerifyReport> {
  try {
    return await verifyTrail(reader, options);
  } catch (error) {
    if (error instanceof UntrustedVerifyError) throw new CliError(error.message);
    throw error;
  }
}

const formatEvent = (event: AuditEvent) =>
  [
    event.time,
    event.outcome.padEnd(7),
    `${event.actor.kind}:${event.actor.id}`.padEnd(28),
    event.action.padEnd(24),
    event.resource,
    event.requestId,
  ].join('  ');

export async function query(
  options: TargetOptions & Window & { actor?: string; action?: string; resource?: string; includeUnsealed?: boolean },
  json: boolean,
): Promise<number> {
  const { actor, action, resource, includeUnsealed } = options;
  const filter = { from: time(options.from, 'from'), to: time(options.to, 'to'), actor, action, resource };
  const target = auditTarget(options);
  const bar = progressBar('reading');
  let count = 0;
  const reader = s3TrailReader(target.s3, target.bucket);
  for await (const { event, sealed } of queryTrail(reader, filter, { includeUnsealed, onProgress: bar.update })) {
    count += 1;
    const line = json
      ? JSON.stringify(sealed ? event : { ...event, unsealed: true })
      : `${formatEvent(event)}${sealed ? '' : '  UNSEALED'}`;
    process.stdout.write(`${line}\n`);
  }
  if (!json)
    console.error(`${count} event(s)${includeUnsealed ? '' : ' (sealed only; --include-unsealed shows the rest)'}`);
  return 0;
}

/** Closes the current period now (what `dgov audit seal` does; `dgov demo` calls it too). */
export async function sealTrail(target: AuditTarget, rotateToKey?: string) {
  if (!target.table || !target.auditKey) {
    throw new CliError('sealing needs the control table and the audit key (--table, --audit-key)');
  }
  const { s3, documents, bucket, table, region, auditKey } = target;
  const names = { s3, documents, bucket, table, region };
  const rotateTo = rotateToKey ? await signerFor(rotateToKey).publicJwk() : undefined;
  const sealed = () => sealPeriod(region, new Date(), sealPorts(names, signerFor(auditKey)), { rotateTo });
  try {
    return await withSealLock(names, sealed);
  } catch (error) {
    if (error instanceof AuditChainError) throw new CliError(error.message);
    throw error;
  }
}

export async function seal(options: TargetOptions & { rotateTo?: string }, json: boolean): Promise<number> {
  const target = auditTarget(options);
  const { key, digest } = await sealTrail(target, options.rotateTo);
  const { region } = target;
  const { sequence, periodStart, periodEnd } = digest;
  const objects = digest.objects.length;
  if (json) console.log(JSON.stringify({ key, sequence, objects, periodStart, periodEnd }));
  else console.log(`sealed ${region} #${sequence}: ${objects} object(s) from ${periodStart} to ${periodEnd} → ${key}`);
  return 0;
}

export async function verify(options: VerifyFlags, json: boolean): Promise<number> {
  const target = auditTarget(options);
  const bar = progressBar('hashing');
  const started = Date.now();
  const report = await runVerify(s3TrailReader(target.s3, target.bucket), verifyOptions(options, target, bar.update));
  if (json) console.log(JSON.stringify({ ...report, seconds: (Date.now() - started) / 1000 }, null, 2));
  else {
    for (const { region, digests, objects, events, kid } of report.regions) {
      console.log(`${region}: ${digests} digest(s), ${objects} object(s), ${events} event(s), key ${kid ?? '?'}`);
    }
    for (const { kind, key, detail } of report.findings) console.log(`${kind.toUpperCase()}  ${key}  ${detail}`);
    if (report.pending.length) {
      console.log(`${report.pending.length} object(s) written since the last digest; the next seal covers them`);
    }
    if (report.versions === 'not-versioned') console.log('object versions not checked: the bucket keeps none');
    if (!report.headsChecked) console.log('the recorded chain heads not checked (no control table; --table)');
    console.log(report.ok ? 'INTACT' : `NOT INTACT: ${report.findings.length} finding(s)`);
  }
  return report.ok ? 0 : 1;
}

export async function report(options: VerifyFlags & { out: string; includeUnsealed?: boolean }): Promise<number> {
  const target = auditTarget(options);
  const reader = s3TrailReader(target.s3, target.bucket);
  const checks = verifyOptions(options, target, progressBar('hashing').update);
  const { from, to } = checks;
  const events: AuditEvent[] = [];
  const bar = progressBar('reading');
  let unsealed = 0;
  for await (const { event, sealed } of queryTrail(
    reader,
    { from, to },
    { includeUnsealed: options.includeUnsealed, onProgress: bar.update },
  )) {
    events.push(event);
    if (!sealed) unsealed += 1;
  }
  const verification = await runVerify(reader, checks);
  const meta = {
    generatedAt: new Date(),
    bucket: target.bucket,
    from,
    to,
    unsealed,
    includeUnsealed: Boolean(options.includeUnsealed),
  };
  writeFileSync(options.out, renderReport(summarize(events), verification, meta));
  const trail = verification.ok ? 'intact' : `NOT intact (${verification.findings.length} finding(s))`;
  console.log(`${options.out}: ${events.length} event(s), trail ${trail}`);
  return 0;
}
