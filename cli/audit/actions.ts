import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { sealPeriod } from '../../functions/audit/domain.ts';
import { sealPorts, s3TrailReader, withSealLock } from '../../functions/audit/store.ts';
import type { AuditEvent } from '../../shared/audit.ts';
import { signerFor } from '../../shared/crypto/kms-signer.ts';
import { publicJwkOf, type PublicJwk } from '../../shared/crypto/signer.ts';
import { auditTarget, type TargetOptions } from '../audit-target.ts';
import { progressBar } from '../progress.ts';
import { renderReport, summarize } from '../report.ts';
import { CliError } from '../target.ts';
import { queryEvents } from './query.ts';
import { verifyTrail } from './verify.ts';

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

function trustedKey(file: string): PublicJwk {
  const text = readFileSync(file, 'utf8');
  const jwk = text.trim().startsWith('{');
  return publicJwkOf(jwk ? createPublicKey({ key: JSON.parse(text), format: 'jwk' }) : createPublicKey(text));
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
  options: TargetOptions & Window & { actor?: string; action?: string; resource?: string },
  json: boolean,
): Promise<number> {
  const { actor, action, resource } = options;
  const filter = { from: time(options.from, 'from'), to: time(options.to, 'to'), actor, action, resource };
  const target = auditTarget(options);
  const bar = progressBar('reading');
  let count = 0;
  for await (const event of queryEvents(s3TrailReader(target.s3, target.bucket), filter, bar.update)) {
    count += 1;
    process.stdout.write(`${json ? JSON.stringify(event) : formatEvent(event)}\n`);
  }
  if (!json) console.error(`${count} event(s)`);
  return 0;
}

export async function seal(options: TargetOptions, json: boolean): Promise<number> {
  const target = auditTarget(options);
  if (!target.table || !target.auditKey) {
    throw new CliError('sealing needs the control table and the audit key (--table, --audit-key)');
  }
  const { s3, documents, bucket, table, region, auditKey } = target;
  const names = { s3, documents, bucket, table, region };
  const sealed = () => sealPeriod(region, new Date(), sealPorts(names, signerFor(auditKey)));
  const { key, digest } = await withSealLock(names, sealed);
  const { sequence, periodStart, periodEnd } = digest;
  const objects = digest.objects.length;
  if (json) console.log(JSON.stringify({ key, sequence, objects, periodStart, periodEnd }));
  else console.log(`sealed ${region} #${sequence}: ${objects} object(s) from ${periodStart} to ${periodEnd} → ${key}`);
  return 0;
}

export async function verify(
  options: TargetOptions & Window & { trustedKey?: string; grace?: string },
  json: boolean,
): Promise<number> {
  const target = auditTarget(options);
  const graceSeconds = options.grace === undefined ? 300 : Number(options.grace);
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0) throw new CliError('--grace takes a number of seconds');
  const bar = progressBar('hashing');
  const started = Date.now();
  const report = await verifyTrail(s3TrailReader(target.s3, target.bucket), {
    from: time(options.from, 'from'),
    to: time(options.to, 'to'),
    trustedKeys: options.trustedKey ? [trustedKey(options.trustedKey)] : undefined,
    graceMs: graceSeconds * 1000,
    onProgress: bar.update,
  });
  if (json) console.log(JSON.stringify({ ...report, seconds: (Date.now() - started) / 1000 }, null, 2));
  else {
    for (const { region, digests, objects, events, kid } of report.regions) {
      console.log(`${region}: ${digests} digest(s), ${objects} object(s), ${events} event(s), key ${kid ?? '?'}`);
    }
    for (const { kind, key, detail } of report.findings) console.log(`${kind.toUpperCase()}  ${key}  ${detail}`);
    if (report.pending.length) {
      console.log(`${report.pending.length} object(s) written since the last digest; the next seal covers them`);
    }
    console.log(report.ok ? 'INTACT' : `NOT INTACT: ${report.findings.length} finding(s)`);
  }
  return report.ok ? 0 : 1;
}

export async function report(options: TargetOptions & Window & { out: string }): Promise<number> {
  const target = auditTarget(options);
  const reader = s3TrailReader(target.s3, target.bucket);
  const from = time(options.from, 'from');
  const to = time(options.to, 'to');
  const events: AuditEvent[] = [];
  const bar = progressBar('reading');
  for await (const event of queryEvents(reader, { from, to }, bar.update)) events.push(event);
  const verification = await verifyTrail(reader, { from, to, onProgress: progressBar('hashing').update });
  const meta = { generatedAt: new Date(), bucket: target.bucket, from, to };
  writeFileSync(options.out, renderReport(summarize(events), verification, meta));
  const trail = verification.ok ? 'intact' : `NOT intact (${verification.findings.length} finding(s))`;
  console.log(`${options.out}: ${events.length} event(s), trail ${trail}`);
  return 0;
}
