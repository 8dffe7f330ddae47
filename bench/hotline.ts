import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { performance } from 'node:perf_hooks';
import { createClient } from '../cli/identity/clients.ts';
import { CATEGORIES, CITIES, DEPARTMENTS, PROVINCE } from '../functions/hotline/catalogue.ts';
import { type Rule, RuleIndex } from '../functions/hotline/rules.ts';
import { dynamoIdentityStore } from '../functions/identity/store.ts';
import type { LocalRuntime } from '../local/runtime.ts';
import { ticketRequest } from './requests.ts';
import { type BenchRow, median } from './table.ts';

const TICKETS = Number(process.env.BENCH_HOTLINE_TICKETS ?? 200);
const CONCURRENCY = 20;
const DECISIONS = 200_000;

/** Every real (category | *) × (province | city | district | *) key, then synthetic categories up to `count`. */
function rules(count: number): Rule[] {
  const divisions = [
    '*',
    PROVINCE.code,
    ...CITIES.flatMap((city) => [city.code, ...city.districts.map((d) => d.code)]),
  ];
  const categories = ['*', ...CATEGORIES.map((c) => c.code)];
  const out: Rule[] = [];
  for (let n = 0; out.length < count; n++)
    for (const division of divisions) {
      if (out.length >= count) break;
      // First the real catalogue's keys; past them, categories of a larger catalogue (the cost must not depend on it).
      const category = n < categories.length ? categories[n]! : `bench.c${n}`;
      out.push({ id: `r${out.length}`, category, division, lead: DEPARTMENTS[out.length % DEPARTMENTS.length]! });
    }
  return out;
}

/** The same (category, city, district) questions for every index. */
const questions = Array.from({ length: 1000 }, (_, i) => {
  const city = CITIES[i % CITIES.length]!;
  return {
    category: CATEGORIES[i % CATEGORIES.length]!.code,
    city: city.code,
    district: city.districts[i % city.districts.length]!.code,
  };
});

function nsPerDecision(decide: (q: (typeof questions)[number]) => unknown, rounds = DECISIONS): number {
  for (let i = 0; i < 20_000; i++) decide(questions[i % questions.length]!); // warm
  const started = performance.now();
  for (let i = 0; i < rounds; i++) decide(questions[i % questions.length]!);
  return ((performance.now() - started) * 1e6) / rounds;
}

/** What an unindexed router would do: scan every rule for the most specific match. */
function linearScan(all: Rule[]) {
  const level = (code: string) => (code === '*' ? 0 : code.length === 2 ? 1 : code.endsWith('00') ? 2 : 3);
  return (q: (typeof questions)[number]) => {
    let best: Rule | undefined;
    let score = -1;
    for (const rule of all) {
      if (rule.category !== q.category && rule.category !== '*') continue;
      if (![q.district, q.city, PROVINCE.code, '*'].includes(rule.division)) continue;
      const s = (rule.category === '*' ? 0 : 10) + level(rule.division);
      if (s > score) [best, score] = [rule, s];
    }
    return best;
  };
}

export async function hotlineBench(runtime: LocalRuntime): Promise<BenchRow[]> {
  const small = new RuleIndex(rules(10));
  const large = new RuleIndex(rules(10_000));
  // Side by side, alternating, so a busy moment of the machine hits both alike.
  const smallNs: number[] = [];
  const largeNs: number[] = [];
  for (let round = 0; round < 5; round++) {
    smallNs.push(nsPerDecision((q) => small.decide(q.category, q.city, q.district)));
    largeNs.push(nsPerDecision((q) => large.decide(q.category, q.city, q.district)));
  }
  const scanNs = nsPerDecision(linearScan(rules(10_000)), 2_000);

  // End to end: POST /tickets through the gateway → routing queue → router → ROUTED in the table.
  const env = runtime.environment;
  const documents = DynamoDBDocumentClient.from(runtime.clients.dynamodb);
  const store = dynamoIdentityStore(documents, {
    identity: env.tables.identityTable!,
    control: env.tables.controlTable!,
  });
  const clientId = `bench-channel-${Date.now()}`;
  const { client_secret } = await createClient(
    { clientId, kind: 'confidential', scopes: ['tickets:file'], redirectUris: [] },
    store,
  );
  const tokenAnswer = await fetch(`${runtime.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${client_secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  const { access_token } = (await tokenAnswer.json()) as { access_token: string };
  let retried = 0;
  const file = async (i: number, attempt = 0): Promise<string> => {
    const answer = await fetch(`${runtime.url}/tickets`, ticketRequest(access_token, i));
    // A 503 says to try again (DynamoDB Local on a busy machine): as a channel would, after a pause.
    if (answer.status === 503 && attempt < 5) {
      retried++;
      await answer.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 500));
      return file(i, attempt + 1);
    }
    if (answer.status !== 202) throw new Error(`POST /tickets answered ${answer.status}: ${await answer.text()}`);
    return String(((await answer.json()) as { ticketId: string }).ticketId);
  };
  // One ticket first: the gateway's authorizer fetches the JWKS once and the sandboxes start (cold starts are measured elsewhere).
  const warm = await file(TICKETS);
  const started = performance.now();
  const ids: string[] = [];
  for (let next = 0; next < TICKETS; next += CONCURRENCY)
    ids.push(
      ...(await Promise.all(Array.from({ length: Math.min(CONCURRENCY, TICKETS - next) }, (_, k) => file(next + k)))),
    );
  const filedMs = performance.now() - started;
  const pending = new Set([warm, ...ids]);
  while (pending.size && performance.now() - started < 300_000) {
    for (const id of [...pending]) {
      const item = await documents.send(
        new GetCommand({
          TableName: env.tables.hotlineTable!,
          Key: { pk: `ticket#${id}`, sk: 'ticket' },
          ProjectionExpression: '#s',
          ExpressionAttributeNames: { '#s': 'status' },
        }),
      );
      if (item.Item?.status !== 'RECEIVED') pending.delete(id);
    }
    if (pending.size) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const routedMs = performance.now() - started;
  if (pending.size) throw new Error(`${pending.size} tickets were not routed within 300 s`);

  const area = 'hotline';
  return [
    {
      area,
      measure: `tickets filed (POST /tickets, ${CONCURRENCY} at a time), ${TICKETS} tickets, ${retried} retried after a 503`,
      value: (TICKETS * 1000) / filedMs,
      unit: '/s',
    },
    {
      area,
      measure: `tickets routed end to end (POST → routing queue → router → ROUTED), ${TICKETS} tickets in ${(routedMs / 1000).toFixed(1)} s`,
      value: (TICKETS * 1000) / routedMs,
      unit: '/s',
    },
    {
      area,
      measure: 'routing decision with 10 rules (indexed), median of 5 × 200,000',
      value: median(smallNs),
      unit: 'ns',
    },
    {
      area,
      measure: 'routing decision with 10,000 rules (indexed), same run',
      value: median(largeNs),
      unit: 'ns',
      ratio: median(largeNs) / median(smallNs),
      against: '10,000 rules ÷ 10 rules (goal ≤ 1)',
    },
    {
      area,
      measure: 'routing decision by scanning 10,000 rules (what the index avoids)',
      value: scanNs / 1000,
      unit: 'µs',
    },
  ];
}
