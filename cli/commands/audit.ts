import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sealPeriod } from '../../functions/audit/domain.ts';
import { sealPorts, s3TrailReader, withSealLock } from '../../functions/audit/store.ts';
import { queryEvents, type QueryFilter } from '../audit/query.ts';
import { verifyTrail } from '../audit/verify.ts';
import type { AuditEvent } from '../../shared/audit.ts';
import { signerFor } from '../../shared/crypto/kms-signer.ts';
import { publicJwkOf, type PublicJwk } from '../../shared/crypto/signer.ts';
import { auditTarget } from '../audit-target.ts';
import { progressBar } from '../progress.ts';
import { renderReport, summarize } from '../report.ts';
import { CliError } from '../target.ts';
import { createPublicKey } from 'node:crypto';

export const summary = 'query, seal, verify and report on the audit trail';

const TARGET_OPTIONS = {
  bucket: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  'audit-key': { type: 'string' },
} as const;

const USAGE = `usage:
  dgov audit query  [--from T] [--to T] [--actor ID] [--action A] [--resource R] [--json]
  dgov audit seal   [--json]
  dgov audit verify [--from T] [--to T] [--trusted-key FILE.pem|FILE.jwk] [--grace SECONDS] [--json]
  dgov audit report --out FILE.html [--from T] [--to T]
Times are RFC 3339 (2026-11-29T08:00:00Z). Actions and resources take a trailing * as a prefix match.
Targets what \`npm start\` runs; a deployed stage with --bucket B --region R [--table T --audit-key KMS-ARN].`;

function time(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new CliError(`--${name} "${value}" is not an RFC 3339 time`);
  return parsed;
}

function trustedKey(file: string): PublicJwk {
  const text = readFileSync(file, 'utf8');
  const key = text.trim().startsWith('{') ? createPublicKey({ key: JSON.parse(text), format: 'jwk' }) : createPublicKey(text);
  return publicJwkOf(key);
}

const formatEvent = (event: AuditEvent) =>
  [event.time, event.outcome.padEnd(7), `${event.actor.kind}:${event.actor.id}`.padEnd(28), event.action.padEnd(24), event.resource, event.requestId].join('  ');

export async function run(args: string[], flags: { json: boolean }): Promise<number> {
  const [sub, ...rest] = args;
  const parse = <O extends Record<string, { type: 'string' | 'boolean' }>>(options: O) => {
    try {
      return parseArgs({ args: rest, options: { ...TARGET_OPTIONS, ...options }, strict: true }).values as Record<string, string | undefined>;
    } catch (error) {
      throw new CliError(`${(error as Error).message}\n${USAGE}`);
    }
  };
  switch (sub) {
    case 'query': {
      const values = parse({ from: { type: 'string' }, to: { type: 'string' }, actor: { type: 'string' }, action: { type: 'string' }, resource: { type: 'string' } });
      const filter: QueryFilter = { from: time(values.from, 'from'), to: time(values.to, 'to'), actor: values.actor, action: values.action, resource: values.resource };
      const target = auditTarget(values);
      const bar = progressBar('reading');
      let count = 0;
      for await (const event of queryEvents(s3TrailReader(target.s3, target.bucket), filter, bar.update)) {
        count += 1;
        process.stdout.write(`${flags.json ? JSON.stringify(event) : formatEvent(event)}\n`);
      }
      if (!flags.json) console.error(`${count} event(s)`);
      return 0;
    }
    case 'seal': {
      const values = parse({});
      const target = auditTarget(values);
      if (!target.table || !target.auditKey) throw new CliError('sealing needs the control table and the audit key (--table, --audit-key)');
      const names = { s3: target.s3, documents: target.documents, bucket: target.bucket, table: target.table, region: target.region };
      const { key, digest } = await withSealLock(names, () => sealPeriod(target.region, new Date(), sealPorts(names, signerFor(target.auditKey!))));
      if (flags.json) console.log(JSON.stringify({ key, sequence: digest.sequence, objects: digest.objects.length, periodStart: digest.periodStart, periodEnd: digest.periodEnd }));
      else console.log(`sealed ${target.region} #${digest.sequence}: ${digest.objects.length} object(s) from ${digest.periodStart} to ${digest.periodEnd} → ${key}`);
      return 0;
    }
    case 'verify': {
      const values = parse({ from: { type: 'string' }, to: { type: 'string' }, 'trusted-key': { type: 'string' }, grace: { type: 'string' } });
      const target = auditTarget(values);
      const graceSeconds = values.grace === undefined ? 300 : Number(values.grace);
      if (!Number.isFinite(graceSeconds) || graceSeconds < 0) throw new CliError('--grace takes a number of seconds');
      const bar = progressBar('hashing');
      const started = Date.now();
      const report = await verifyTrail(s3TrailReader(target.s3, target.bucket), {
        from: time(values.from, 'from'),
        to: time(values.to, 'to'),
        trustedKeys: values['trusted-key'] ? [trustedKey(values['trusted-key'])] : undefined,
        graceMs: graceSeconds * 1000,
        onProgress: bar.update,
      });
      if (flags.json) console.log(JSON.stringify({ ...report, seconds: (Date.now() - started) / 1000 }, null, 2));
      else {
        for (const region of report.regions) console.log(`${region.region}: ${region.digests} digest(s), ${region.objects} object(s), ${region.events} event(s), key ${region.kid ?? '?'}`);
        for (const finding of report.findings) console.log(`${finding.kind.toUpperCase()}  ${finding.key}  ${finding.detail}`);
        if (report.pending.length) console.log(`${report.pending.length} object(s) written since the last digest; the next seal covers them`);
        console.log(report.ok ? 'INTACT' : `NOT INTACT: ${report.findings.length} finding(s)`);
      }
      return report.ok ? 0 : 1;
    }
    case 'report': {
      const values = parse({ out: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } });
      if (!values.out) throw new CliError(`report needs --out FILE.html\n${USAGE}`);
      const target = auditTarget(values);
      const reader = s3TrailReader(target.s3, target.bucket);
      const from = time(values.from, 'from');
      const to = time(values.to, 'to');
      const events: AuditEvent[] = [];
      const bar = progressBar('reading');
      for await (const event of queryEvents(reader, { from, to }, bar.update)) events.push(event);
      const verification = await verifyTrail(reader, { from, to, onProgress: progressBar('hashing').update });
      writeFileSync(values.out, renderReport(summarize(events), verification, { generatedAt: new Date(), bucket: target.bucket, from, to }));
      console.log(`${values.out}: ${events.length} event(s), trail ${verification.ok ? 'intact' : `NOT intact (${verification.findings.length} finding(s))`}`);
      return 0;
    }
    default:
      throw new CliError(sub ? `unknown audit command "${sub}"\n${USAGE}` : USAGE);
  }
}
