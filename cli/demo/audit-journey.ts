import { PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { decodeEvents } from '../../functions/audit/domain.ts';
import { s3TrailReader } from '../../functions/audit/store.ts';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import type { AuditEvent } from '../../shared/audit.ts';
import { runVerify, sealTrail, verifyOptions } from '../audit/actions.ts';
import { queryTrail } from '../audit/query.ts';
import type { AuditTarget, TargetOptions } from '../audit-target.ts';
import { JourneyError, sleep } from './http.ts';
import type { ExpectedEvent, Recorder, Step } from './record.ts';

/** What journey 3 found: each expected event of journeys 1 and 2, and how the trail held up. */
export interface AuditRecord {
  sealed: { key: string; sequence: number; objects: number };
  found: (ExpectedEvent & { count: number; eventIds: string[] })[];
  intact: boolean;
  /** The events object changed on purpose, and what `dgov audit verify` said of it (unless skipped). */
  tampered?: { key: string; exitCode: number | null; named: boolean; output: string };
  intactAfterRestore?: boolean;
}

export interface AuditOptions {
  target: AuditTarget;
  /** The flags that aim `dgov audit …` at the same trail (none for the local one). */
  cliFlags: TargetOptions & { trustedKey?: string[] };
  /** Change one object, run `dgov audit verify`, put it back: only where nothing prevents it (locally). */
  tamper: boolean;
  /** Runs the part that needs the trail unchanged by anyone else (tests share one trail). */
  exclusive?: <T>(run: () => Promise<T>) => Promise<T>;
  waitMs?: number;
}

const matches = (event: AuditEvent, expected: ExpectedEvent) =>
  event.action === expected.action &&
  event.resource === expected.resource &&
  event.actor.id === expected.actor &&
  event.outcome === expected.outcome;

/**
 * Journey 3: an auditor waits for the writer to store the events of journeys 1 and 2, seals the period,
 * finds every step in the sealed trail with its actor and outcome, verifies the trail intact, then
 * changes one events object and sees `dgov audit verify` exit 1 naming it; the object is put back.
 */
export async function auditJourney(
  steps: readonly Step[],
  since: Date,
  recorder: Recorder,
  options: AuditOptions,
): Promise<AuditRecord> {
  const { target } = options;
  const reader = s3TrailReader(target.s3, target.bucket);
  const expected = steps.flatMap((step) => step.audit);
  const where = await waitForEvents(reader, expected, options.waitMs ?? 30_000);
  recorder.step(
    'audit',
    'the audit writer',
    'stores the events of both journeys',
    `${expected.length} expected events in ${new Set(where.values()).size} object(s) of the audit bucket`,
  );

  const exclusive = options.exclusive ?? ((run) => run());
  return exclusive(async () => {
    const { key, digest } = await sealTrail(target);
    const sealed = { key, sequence: digest.sequence, objects: digest.objects.length };
    recorder.step(
      'audit',
      'the auditor',
      'seals the period (dgov audit seal)',
      `digest #${sealed.sequence} lists ${sealed.objects} object(s): ${key}`,
    );

    const events: AuditEvent[] = [];
    for await (const { event } of queryTrail(reader, { from: new Date(since.getTime() - 1000) })) events.push(event);
    const found = expected.map((wanted) => {
      const hits = events.filter((event) => matches(event, wanted));
      return { ...wanted, count: hits.length, eventIds: hits.map((event) => event.eventId) };
    });
    const missing = found.filter((entry) => entry.count === 0);
    recorder.step(
      'audit',
      'the auditor',
      'queries the sealed trail (dgov audit query)',
      missing.length
        ? `MISSING: ${missing.map((m) => `${m.action} ${m.resource}`).join(', ')}`
        : `all ${found.length} events the steps must have left, each with its actor and outcome`,
    );

    const report = await runVerify(reader, verifyOptions(options.cliFlags, target));
    recorder.step(
      'audit',
      'the auditor',
      'verifies the trail (dgov audit verify)',
      report.ok
        ? `intact: ${report.objectsHashed} object(s) hashed, every digest signature checked`
        : `NOT intact: ${report.findings.map((f) => `${f.kind} ${f.key}`).join('; ')}`,
    );
    const record: AuditRecord = { sealed, found, intact: report.ok };
    if (!options.tamper) {
      recorder.step(
        'audit',
        'the auditor',
        'changes one object to see verify catch it',
        'skipped: not the local trail',
      );
      return record;
    }

    const victim = where.get(`${expected.at(-1)!.action} ${expected.at(-1)!.resource}`)!;
    const original = (await reader.read(victim))!;
    const put = (body: Buffer) =>
      target.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: victim, Body: body }));
    await put(Buffer.concat([original, Buffer.from('\n')]));
    try {
      const cli = await dgov(['audit', 'verify', ...flags(options.cliFlags)]);
      record.tampered = {
        key: victim,
        exitCode: cli.status,
        named: cli.stdout.includes(`MODIFIED  ${victim}`),
        output: cli.stdout,
      };
      recorder.step(
        'audit',
        'someone with write access to the bucket',
        'changes one events object; the auditor runs dgov audit verify',
        `exit ${cli.status}: ${cli.stdout.split('\n').find((line) => line.includes(victim)) ?? cli.stdout.trim().split('\n').at(-1)}`,
      );
    } finally {
      await put(original);
    }
    record.intactAfterRestore = (await runVerify(reader, verifyOptions(options.cliFlags, target))).ok;
    recorder.step(
      'audit',
      'the auditor',
      'puts the object back and verifies again',
      record.intactAfterRestore ? 'intact' : 'NOT intact',
    );
    return record;
  });
}

/** Reads new events objects until every expected event is stored; where each one is. */
async function waitForEvents(reader: ReturnType<typeof s3TrailReader>, expected: ExpectedEvent[], waitMs: number) {
  const where = new Map<string, string>();
  const read = new Set<string>();
  const deadline = Date.now() + waitMs;
  for (;;) {
    for (const { key } of await reader.list('events/')) {
      if (read.has(key)) continue;
      read.add(key);
      const bytes = await reader.read(key);
      if (!bytes) continue;
      let events: AuditEvent[];
      try {
        events = decodeEvents(bytes);
      } catch {
        continue;
      }
      for (const event of events)
        for (const wanted of expected)
          if (matches(event, wanted)) where.set(`${wanted.action} ${wanted.resource}`, key);
    }
    const missing = expected.filter((wanted) => !where.has(`${wanted.action} ${wanted.resource}`));
    if (!missing.length) return where;
    if (Date.now() > deadline)
      throw new JourneyError(
        `the audit trail has no ${missing.map((m) => `${m.action} ${m.resource} by ${m.actor}`).join(', ')} after ${waitMs / 1000} s`,
      );
    await sleep(500);
  }
}

const flags = (options: AuditOptions['cliFlags']) =>
  Object.entries(options).flatMap(([name, value]) =>
    [value ?? []].flat().flatMap((one) => [`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(one)]),
  );

/** `npx dgov …` as a child process: the auditor's own tool, exit code and all. */
function dgov(args: string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'cli/bin.mjs'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout }));
  });
}
