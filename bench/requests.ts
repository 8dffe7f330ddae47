// The hot requests the bench sends through the gateway; each throws unless the answer is the expected one.
import { randomUUID } from 'node:crypto';
import { CATEGORIES, CITIES } from '../functions/hotline/catalogue.ts';
import type { LocalRuntime } from '../local/runtime.ts';
import { idNumberCheckDigit } from '../shared/identifiers.ts';

async function expect(response: Response, status: number, what: string): Promise<unknown> {
  if (response.status !== status) throw new Error(`${what} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/** The i-th bench ticket: category, city and phone vary with i. */
export function ticketRequest(token: string, i: number): RequestInit {
  const city = CITIES[i % CITIES.length]!;
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      category: CATEGORIES[i % CATEGORIES.length]!.code,
      description: `bench ticket ${i}`,
      location: { cityCode: city.code, districtCode: city.districts[0]!.code },
      contact: { phone: `13${String(100_000_000 + (i % 100_000_000)).slice(-9)}` },
      channel: 'wechat',
    }),
  };
}

/** POST /tickets: the new ticket's id. */
export async function postTicket(runtime: LocalRuntime, token: string, i: number): Promise<string> {
  const response = await fetch(`${runtime.url}/tickets`, ticketRequest(token, i));
  return ((await expect(response, 202, 'POST /tickets')) as { ticketId: string }).ticketId;
}

export interface IssuedLicence {
  licenceId: string;
  document: unknown;
  seal: unknown;
}

const first17 = '37010219900115901';
const idNumber = first17 + idNumberCheckDigit(first17);

/** POST /licences as a police department client: a certificate of no criminal record for the matter. */
export const licenceRequest = (token: string, matterId: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({
    type: 'no-criminal-record',
    holder: { kind: 'citizen', id: idNumber },
    matterId,
    data: { name: '测试', idNumber, purpose: '就业', checkedPeriod: { from: '2015-01-01', to: '2025-01-01' } },
  }),
});

/** POST /licences: a new matter each time. */
export async function postLicence(runtime: LocalRuntime, token: string): Promise<IssuedLicence> {
  const response = await fetch(`${runtime.url}/licences`, licenceRequest(token, `bench-${randomUUID()}`));
  return (await expect(response, 201, 'POST /licences')) as IssuedLicence;
}

/** POST /licences/verify of a document and its seal: throws unless the verdict is valid. */
export async function postVerify(runtime: LocalRuntime, licence: IssuedLicence): Promise<void> {
  const response = await fetch(`${runtime.url}/licences/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ document: licence.document, seal: licence.seal }),
  });
  const verdict = (await expect(response, 200, 'POST /licences/verify')) as { valid: boolean };
  if (!verdict.valid) throw new Error('a licence just issued did not verify');
}
