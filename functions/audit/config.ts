import * as z from 'zod/mini';
import { ENV, required } from '../../shared/config.ts';

export const writerConfigSchema = z.object({
  [ENV.controlTable]: required(),
  [ENV.auditBucket]: required(),
});

export const sealConfigSchema = z.object({
  [ENV.controlTable]: required(),
  [ENV.auditBucket]: required(),
  [ENV.auditKey]: required(),
});
