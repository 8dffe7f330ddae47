import * as z from 'zod/mini';
import { ENV, required } from '../../shared/config.ts';
import { PAYMENTS_ENV } from './env.ts';

const positiveInteger = () => z.string().check(z.regex(/^[1-9]\d{0,14}$/));
const secretReference = () => z.string().check(z.regex(/^(file:|secretsmanager:).+/));

export const apiConfigSchema = z.object({
  [PAYMENTS_ENV.paymentsTable]: required(),
  [ENV.controlTable]: required(),
  [ENV.auditQueueUrl]: z.url(),
  [PAYMENTS_ENV.settlementQueueUrl]: z.url(),
  [PAYMENTS_ENV.channelSecrets]: secretReference(),
  [PAYMENTS_ENV.maxAmountFen]: positiveInteger(),
  [PAYMENTS_ENV.orderTtlMinutes]: positiveInteger(),
});

export const settlementConfigSchema = z.object({
  [PAYMENTS_ENV.paymentsTable]: required(),
  [ENV.auditQueueUrl]: z.url(),
  [PAYMENTS_ENV.apiUrl]: z.url(),
  [PAYMENTS_ENV.receiptClient]: secretReference(),
});

export const reconcileConfigSchema = z.object({
  [PAYMENTS_ENV.paymentsTable]: required(),
  [ENV.auditQueueUrl]: z.url(),
  [PAYMENTS_ENV.settlementQueueUrl]: z.url(),
  [PAYMENTS_ENV.statementsBucket]: required(),
});

/** Defaults a deployment gets (docs/payments.md, "Configuration"). */
export const MAX_AMOUNT_FEN = 100_000_000; // 1,000,000 yuan
export const ORDER_TTL_MINUTES = 7 * 24 * 60;
