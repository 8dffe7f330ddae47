import { randomInt, randomUUID } from 'node:crypto';
import { expectStatus } from './http.ts';
import { clientToken, newCreditCode, portalTokens, register, type Province } from './province.ts';
import type { Recorder } from './record.ts';

/** What the seed made, by kind (counts in the demo's summary, ids in `--json`). */
export interface SeedRecord {
  departments: string[];
  accounts: string[];
  licences: string[];
  orders: string[];
  tickets: string[];
}

const TICKETS = [
  { category: 'transport.road', description: '香港中路路灯不亮已一周' },
  { category: 'environment.noise', description: '夜间施工噪音扰民' },
  { category: 'housing.safety', description: '老楼外墙瓷砖脱落' },
];

/**
 * A small province through the public API, as its people and departments would make it: residents
 * register and file tickets, the police and market regulation issue licences, market regulation
 * raises payment orders. The departments and their clients are the seeded demo clients.
 */
export async function seedProvince(province: Province, recorder: Recorder): Promise<SeedRecord> {
  const { api } = province;
  const departments = [...new Set(Object.keys(province.secrets).filter((id) => id.startsWith('demo-dept-')))].map(
    (id) => id.slice('demo-'.length),
  );
  departments.unshift('dept-market', 'dept-police', 'dept-finance', 'dept-12345');
  recorder.step('seed', 'the province', 'has its departments, each with its client', departments.join(', '));

  const people = await Promise.all(['张伟', '刘芳', '陈静'].map((name) => register(province, name)));
  recorder.step(
    'seed',
    'three residents',
    'register accounts',
    people.map((p) => `${p.name} ${p.accountId}`).join(', '),
  );

  const [police, market, ...tokens] = await Promise.all([
    clientToken(province, 'demo-police', 'licences:issue'),
    clientToken(province, 'demo-department', 'licences:issue payments:orders'),
    ...people.map(async (person) => (await portalTokens(province, person)).accessToken),
  ]);
  const enterprise = { creditCode: newCreditCode(), name: '青岛海风餐饮有限公司' };
  const licenceRequests: [string, object][] = [
    [
      police,
      {
        type: 'no-criminal-record',
        holder: { kind: 'citizen', id: people[0]!.idNumber },
        matterId: `demo-${randomUUID()}`,
        data: {
          name: people[0]!.name,
          idNumber: people[0]!.idNumber,
          purpose: '就业',
          checkedPeriod: { from: '2016-01-01', to: '2026-01-01' },
        },
      },
    ],
    [
      market,
      {
        type: 'business-licence',
        holder: { kind: 'enterprise', id: enterprise.creditCode },
        matterId: `demo-${randomUUID()}`,
        data: {
          creditCode: enterprise.creditCode,
          enterpriseName: enterprise.name,
          legalRepresentative: people[1]!.name,
          enterpriseType: '有限责任公司',
          address: '山东省青岛市市南区香港中路 10 号',
          businessScope: '餐饮服务',
          establishedOn: '2026-11-01',
        },
      },
    ],
    [
      market,
      {
        type: 'food-operation-licence',
        holder: { kind: 'enterprise', id: enterprise.creditCode },
        matterId: `demo-${randomUUID()}`,
        data: {
          licenceNumber: `JY${String(Date.now()).slice(-14).padStart(14, '3')}`,
          operatorName: enterprise.name,
          creditCode: enterprise.creditCode,
          premises: '山东省青岛市市南区香港中路 10 号',
          mainBusiness: ['catering'],
        },
      },
    ],
  ];
  const licences = await Promise.all(
    licenceRequests.map(async ([token, body]) =>
      String(expectStatus(await api.post('/licences', body, token), 201, 'a licence is issued').body.licenceId),
    ),
  );
  recorder.step(
    'seed',
    'dept-police and dept-market',
    'issue licences',
    `a certificate of no criminal record, a business licence and a food operation licence for ${enterprise.name}: ${licences.join(', ')}`,
  );

  const orders = await Promise.all(
    people.slice(1).map(async (person, i) => {
      const body = {
        itemCode: i === 0 ? 'market-registration-fee' : 'market-penalty',
        payer: { kind: 'citizen', id: person.idNumber, name: person.name, accountId: person.accountId },
        amountFen: i === 0 ? 10_000 : 50_000,
        description: i === 0 ? '企业登记费' : '市场监管罚款',
      };
      return String(expectStatus(await api.post('/payments/orders', body, market), 201, 'an order').body.orderId);
    }),
  );
  recorder.step('seed', 'dept-market', 'raises payment orders', orders.join(', '));

  const tickets = await Promise.all(
    TICKETS.map(async (ticket, i) => {
      const body = {
        category: ticket.category,
        description: ticket.description,
        location: { cityCode: '370200', districtCode: '370202' },
        contact: { phone: `138${String(randomInt(1e8)).padStart(8, '0')}`, name: people[i]!.name },
        channel: 'app',
      };
      return String(expectStatus(await api.post('/tickets', body, tokens[i]), 202, 'a ticket').body.ticketId);
    }),
  );
  recorder.step('seed', 'the residents', 'file hotline tickets', tickets.join(', '));
  return { departments, accounts: people.map((p) => p.accountId), licences, orders, tickets };
}
