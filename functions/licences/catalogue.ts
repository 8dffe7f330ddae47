import * as z from 'zod/mini';
import { isValidCreditCode, isValidIdNumber } from '../../shared/identifiers.ts';

/**
 * The licence types the platform issues: who may issue each, the schema of its `data`
 * (published as JSON Schema by GET /licences/types) and its default validity.
 * Checked when the function starts (validateCatalogue): a bad entry stops the cold start.
 */
export interface LicenceType {
  type: string;
  name: string;
  /** Departments that may issue it. */
  issuers: readonly string[];
  data: z.ZodMiniObject;
  /** Default validity in days; undefined: valid until revoked. */
  validityDays?: number;
}

const text = (max = 200) => z.string().check(z.minLength(1), z.maxLength(max));
const creditCode = z.string().check(z.refine(isValidCreditCode, 'not a valid unified social credit code'));
const idNumber = z.string().check(z.refine(isValidIdNumber, 'not a valid resident ID number'));
const day = z.iso.date();

export const LICENCE_TYPES: readonly LicenceType[] = [
  {
    type: 'business-licence',
    name: '营业执照 (business licence)',
    issuers: ['dept-market'],
    validityDays: undefined,
    data: z.strictObject({
      creditCode,
      enterpriseName: text(),
      legalRepresentative: text(50),
      enterpriseType: text(100),
      registeredCapitalFen: z.optional(z.int().check(z.nonnegative())),
      address: text(),
      businessScope: text(2000),
      establishedOn: day,
    }),
  },
  {
    type: 'food-operation-licence',
    name: '食品经营许可证 (food operation licence)',
    issuers: ['dept-market'],
    validityDays: 5 * 365,
    data: z.strictObject({
      licenceNumber: z.string().check(z.regex(/^JY\d{14}$/, 'JY followed by 14 digits')),
      operatorName: text(),
      creditCode,
      premises: text(),
      mainBusiness: z
        .array(z.enum(['prepackaged-food', 'bulk-food', 'catering', 'special-food']))
        .check(z.minLength(1)),
    }),
  },
  {
    type: 'no-criminal-record',
    name: '无犯罪记录证明 (certificate of no criminal record)',
    issuers: ['dept-police'],
    validityDays: 90,
    data: z.strictObject({
      name: text(50),
      idNumber,
      purpose: text(200),
      checkedPeriod: z.strictObject({ from: day, to: day }),
    }),
  },
  {
    type: 'payment-receipt',
    name: '非税收入电子缴款凭证 (electronic payment receipt)',
    issuers: ['dept-finance'],
    validityDays: undefined,
    data: z.strictObject({
      orderId: text(64),
      paymentCode: text(64),
      itemCode: text(64),
      itemName: z.optional(text()),
      amountFen: z.int().check(z.positive()),
      currency: z.literal('CNY'),
      paidAt: z.iso.datetime(),
      payerName: text(100),
      channel: z.optional(text(32)),
      channelTxnId: z.optional(text(128)),
    }),
  },
];

const typeCode = /^[a-z][a-z0-9-]{1,47}$/;
const departmentId = /^dept-[a-z0-9-]{1,40}$/;

/** Throws naming the first bad entry: unique codes, departments, a schema, a sane validity. */
export function validateCatalogue(types: readonly LicenceType[]): Map<string, LicenceType> {
  const byType = new Map<string, LicenceType>();
  for (const entry of types) {
    if (!typeCode.test(entry.type)) throw new Error(`licence type "${entry.type}": the code must match ${typeCode}`);
    if (byType.has(entry.type)) throw new Error(`licence type "${entry.type}" is listed twice`);
    if (!entry.name.trim()) throw new Error(`licence type "${entry.type}" has no name`);
    if (entry.issuers.length === 0 || !entry.issuers.every((issuer) => departmentId.test(issuer)))
      throw new Error(`licence type "${entry.type}": issuers must be department ids (dept-…)`);
    if (entry.validityDays !== undefined && (!Number.isInteger(entry.validityDays) || entry.validityDays < 1))
      throw new Error(`licence type "${entry.type}": validityDays must be a positive whole number`);
    z.toJSONSchema(entry.data); // a schema JSON Schema cannot express fails here, not on GET /licences/types
    byType.set(entry.type, entry);
  }
  return byType;
}

/** What GET /licences/types answers. */
export const publishedCatalogue = (types: readonly LicenceType[]) =>
  types.map((entry) => {
    const { $schema: _ignored, ...schema } = z.toJSONSchema(entry.data, { io: 'input' }) as Record<string, unknown>;
    return {
      type: entry.type,
      name: entry.name,
      issuers: [...entry.issuers],
      validityDays: entry.validityDays ?? null,
      schema,
    };
  });
