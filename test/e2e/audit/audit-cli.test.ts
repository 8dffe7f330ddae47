import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../infra/project-root.ts';
import { LOCAL_CREDENTIALS } from '../../../local/aws-clients.ts';
import type { ResolvedEnvironment } from '../../../local/runtime.ts';
import type { AuditEvent } from '../../../shared/audit.ts';
import { chromiumPath, renderDom } from '../../support/chromium.ts';
import { scratchDir } from '../../../local/scratch.ts';
import { target } from '../../support/target.ts';
import { holdTrailLock } from '../../support/trail-lock.ts';

const embedded = target.name === 'embedded' && Boolean(target.apiUrl);

/** `npx dgov …` against what the e2e `npm start` runs. */
const dgov = (...args: string[]) => {
  const result = spawnSync(join(PROJECT_ROOT, 'cli/bin.mjs'), args, {
    env: { ...process.env, DGOV_LOCAL_DIR: target.localDir },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

describe.skipIf(!embedded)('an auditor using the CLI on the running suite', () => {
  let env: ResolvedEnvironment;
  let s3: S3Client;
  const out = scratchDir('report');
  const sent: AuditEvent[] = [];
  // These tests seal, verify and tamper with the trail the other e2e files share: one file at a time.
  let lock: ReturnType<typeof holdTrailLock> | undefined;

  beforeAll(async () => {
    lock = holdTrailLock();
    await lock.taken;
    env = JSON.parse(readFileSync(join(target.localDir!, 'env.json'), 'utf8')) as ResolvedEnvironment;
    const options = { region: env.region, credentials: LOCAL_CREDENTIALS };
    s3 = new S3Client({ ...options, endpoint: env.endpoints.s3, forcePathStyle: true });
    const sqs = new SQSClient({ ...options, endpoint: env.endpoints.sqs });
    const now = Date.now();
    for (let i = 0; i < 12; i++) {
      sent.push({
        eventId: randomUUID(),
        time: new Date(now - i * 1000).toISOString(),
        actor: { kind: i % 3 === 0 ? 'citizen' : 'client', id: i % 3 === 0 ? 'acc-42' : 'dept-market' },
        action: i % 4 === 0 ? 'licences.issue' : 'payments.order',
        resource: `thing/${i}`,
        outcome: i % 5 === 0 ? 'denied' : 'success',
        requestId: `journey-${i}`,
        region: env.region,
      });
    }
    for (let i = 0; i < sent.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: env.queues.auditQueue,
          Entries: sent.slice(i, i + 10).map((event, j) => ({ Id: String(j), MessageBody: JSON.stringify(event) })),
        }),
      );
    }
    // The writer (fed by the queue's event source mapping) stores them; wait until the query sees all.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const found = dgov('audit', 'query', '--include-unsealed', '--action', '*', '--json')
        .stdout.trim()
        .split('\n')
        .filter(Boolean);
      if (sent.every((event) => found.some((line) => line.includes(event.eventId)))) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });

  afterAll(() => {
    lock?.release();
    rmSync(out, { recursive: true, force: true });
  });

  const queried = (...args: string[]) => {
    const result = dgov('audit', 'query', '--actor', 'acc-42', '--json', ...args);
    expect(result.status).toBe(0);
    return result.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditEvent & { unsealed?: true });
  };
  const mine = () =>
    sent
      .filter((event) => event.actor.id === 'acc-42')
      .map((event) => event.eventId)
      .sort();

  it('queries only sealed events; --include-unsealed shows the rest, marked', () => {
    const shown = queried().map((event) => event.eventId);
    expect(mine().filter((id) => shown.includes(id))).toEqual([]);
    const all = queried('--include-unsealed').filter((event) => mine().includes(event.eventId));
    expect(all.map((event) => event.eventId).sort()).toEqual(mine());
    expect(all.every((event) => event.unsealed === true)).toBe(true);
  });

  it('seals the period and verifies the trail intact with the key npm start pinned (exit 0)', () => {
    const sealed = dgov('audit', 'seal', '--json');
    expect(sealed.status).toBe(0);
    expect(JSON.parse(sealed.stdout).objects).toBeGreaterThan(0);
    const verified = dgov('audit', 'verify', '--json');
    expect(verified.status, verified.stdout).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, headsChecked: true });
    expect(
      queried()
        .map((event) => event.eventId)
        .sort(),
    ).toEqual(mine());
  });

  it.skipIf(!chromiumPath)('writes a report page that headless Chromium renders with its charts', () => {
    const file = join(out, 'audit.html');
    const result = dgov('audit', 'report', '--out', file);
    expect(result.status).toBe(0);
    const dom = renderDom(`file://${file}`);
    expect(dom).toContain('Intact: every hash, link and signature verified');
    expect(dom.match(/<svg/g)?.length).toBeGreaterThanOrEqual(2);
    expect(Number(/id="total">(\d+)</.exec(dom)?.[1])).toBeGreaterThanOrEqual(sent.length);
    expect(Number(/id="denials">(\d+)</.exec(dom)?.[1])).toBeGreaterThanOrEqual(
      sent.filter((event) => event.outcome === 'denied').length,
    );
    expect(dom).toContain('citizen:acc-42');
  });

  it('exits 1 and names an events object that was changed', async () => {
    const key = (await s3.send(new ListObjectsV2Command({ Bucket: env.buckets.auditBucket, Prefix: 'events/' })))
      .Contents![0]!.Key!;
    const bytes = Buffer.from(
      await (
        await s3.send(new GetObjectCommand({ Bucket: env.buckets.auditBucket, Key: key }))
      ).Body!.transformToByteArray(),
    );
    const put = (body: Buffer) =>
      s3.send(new PutObjectCommand({ Bucket: env.buckets.auditBucket, Key: key, Body: body }));
    await put(Buffer.concat([bytes, Buffer.from([0])]));
    try {
      const result = dgov('audit', 'verify');
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(`MODIFIED  ${key}`);
      expect(result.stdout).toContain('NOT INTACT');
    } finally {
      // Put back, so the other files see the trail intact.
      await put(bytes);
    }
  });
});
