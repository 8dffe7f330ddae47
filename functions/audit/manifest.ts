import { defineCapability } from '../../shared/capability.ts';
import { sealConfigSchema, writerConfigSchema } from './config.ts';

export const auditManifest = defineCapability({
  name: 'audit',
  summary: 'Tamper-evident audit trail: events stored as objects, sealed by a signed digest chain',
  // Its variables (queue, bucket, key) are in shared/env-names.ts: every capability emits audit events.
  env: {},
  functions: [
    {
      service: 'audit-writer',
      entry: 'functions/audit/writer.ts',
      description: 'Stores audit events from the audit queue as gzip JSON Lines objects',
      kind: 'queue',
      config: writerConfigSchema,
    },
    {
      service: 'audit-seal',
      entry: 'functions/audit/seal.ts',
      description: 'Closes an audit period: a signed digest chained to the previous one',
      kind: 'schedule',
      config: sealConfigSchema,
    },
  ],
});
