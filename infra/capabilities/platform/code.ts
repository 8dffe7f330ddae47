import { Construct } from 'constructs';
import { ENV } from '../../../shared/env-names.ts';
import { platformManifest } from '../../../functions/platform-manifest.ts';
import { AuditData } from '../audit/data.ts';
import type { CodeContext } from '../capability.ts';
import { functionOf } from '../functions.ts';
import { ControlData } from '../../control-data.ts';

/** The 404/405 fallback, /health and /openapi.json. */
export class PlatformCode extends Construct {
  constructor(scope: Construct, id: string, context: CodeContext) {
    super(scope, id);
    const control = context.data.get(ControlData);
    const audit = context.data.get(AuditData);
    context.addFunction(this, functionOf(platformManifest, 'fallback'));
    context
      .addFunction(this, functionOf(platformManifest, 'health'))
      .useTable(ENV.controlTable, control.table, 'describe')
      .useQueue(ENV.auditQueueUrl, audit.queue, 'describe')
      .useBucket(ENV.auditBucket, audit.bucket, 'describe');
    context.addFunction(this, functionOf(platformManifest, 'openapi'));
  }
}
