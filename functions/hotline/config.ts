import * as z from 'zod/mini';
import { ENV, required } from '../../shared/config.ts';
import { HOTLINE_ENV } from './env.ts';
import { DEFAULT_SLA, type SlaPolicy } from './sla.ts';

const days = z.number().check(z.int(), z.gte(0), z.lte(60));
export const slaPolicySchema = z.strictObject({
  urgent: days,
  enquiry: days,
  complaint: days,
  categories: z.optional(z.record(z.string(), days)),
});
const slaJson = z.optional(
  z.string().check(
    z.refine((text) => {
      try {
        return slaPolicySchema.safeParse(JSON.parse(text)).success;
      } catch {
        return false;
      }
    }, 'JSON { urgent, enquiry, complaint, categories? } in working days'),
  ),
);

export const apiConfigSchema = z.object({
  [HOTLINE_ENV.table]: required(),
  [HOTLINE_ENV.routingQueueUrl]: z.url(),
  [HOTLINE_ENV.apiKeyTable]: required(),
  [HOTLINE_ENV.issuer]: z.url(),
  [ENV.controlTable]: required(),
  [ENV.auditQueueUrl]: z.url(),
});
export const routerConfigSchema = z.object({
  [HOTLINE_ENV.table]: required(),
  [HOTLINE_ENV.deadLetterQueueUrl]: z.url(),
  [HOTLINE_ENV.sla]: slaJson,
  [ENV.auditQueueUrl]: z.url(),
});
export const sweeperConfigSchema = z.object({
  [HOTLINE_ENV.table]: required(),
  [HOTLINE_ENV.routingQueueUrl]: z.url(),
  [ENV.auditQueueUrl]: z.url(),
});

export const slaPolicyOf = (text: string | undefined): SlaPolicy =>
  text ? (slaPolicySchema.parse(JSON.parse(text)) as SlaPolicy) : DEFAULT_SLA;
