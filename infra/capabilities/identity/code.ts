import { Construct } from 'constructs';
import { REFRESH_GRACE_SECONDS } from '../../../functions/identity/config.ts';
import { IDENTITY_ENV } from '../../../functions/identity/env.ts';
import { identityManifest } from '../../../functions/identity/manifest.ts';
import { ENV } from '../../../shared/env-names.ts';
import { AuditData } from '../audit/data.ts';
import type { CodeContext } from '../capability.ts';
import { functionOf } from '../functions.ts';
import { ControlData } from '../../control-data.ts';
import { IdentityData } from './data.ts';

/** The OpenID Connect provider. Its issuer is the API itself (or the stage's domain). */
export class IdentityCode extends Construct {
  constructor(scope: Construct, id: string, context: CodeContext) {
    super(scope, id);
    const identity = context.data.get(IdentityData);
    context
      .addFunction(this, functionOf(identityManifest, 'identity'), { memorySize: 1024 })
      .useTable(IDENTITY_ENV.identityTable, identity.table, 'readWrite')
      .useTable(ENV.controlTable, context.data.get(ControlData).table, 'readWrite')
      .useQueue(ENV.auditQueueUrl, context.data.get(AuditData).queue, 'send')
      .useSigningKey(IDENTITY_ENV.tokenKeys, identity.tokenSigningKey)
      .setEnv(IDENTITY_ENV.issuer, context.http.issuer)
      .setEnv(IDENTITY_ENV.loginAttemptsPerMinute, String(context.config.loginAttemptsPerMinute))
      .setEnv(IDENTITY_ENV.refreshGraceSeconds, String(REFRESH_GRACE_SECONDS));
  }
}
