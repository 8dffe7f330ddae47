import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DEFAULT_ISSUER_ID } from '../../../functions/licences/config.ts';
import { LICENCES_ENV } from '../../../functions/licences/env.ts';
import { licencesManifest } from '../../../functions/licences/manifest.ts';
import { functionOf } from '../functions.ts';
import { ENV } from '../../../shared/env-names.ts';
import { AuditData } from '../audit/data.ts';
import type { CodeContext } from '../capability.ts';
import { ControlData } from '../../control-data.ts';
import { LicencesData, type SealKey } from './data.ts';

const referencesOf = (keys: readonly SealKey[], alg: SealKey['alg']) =>
  keys
    .filter((key) => key.alg === alg)
    .map((key) => key.reference)
    .join(',');

/**
 * The licences function: its routes, the index and the bucket, the seal keys, the audit and
 * notifications queues. The trust list of external issuers comes from CDK context
 * `licenceTrustList` (a JSON array of seal keys; docs/licences.md, "Mutual recognition").
 */
export class LicencesCode extends Construct {
  constructor(scope: Construct, id: string, context: CodeContext) {
    super(scope, id);
    const licences = context.data.get(LicencesData);
    const fn = context
      .addFunction(this, functionOf(licencesManifest, 'licences'), { memorySize: 1024 })
      .useTable(LICENCES_ENV.licencesTable, licences.table, 'readWrite')
      .useTable(ENV.controlTable, context.data.get(ControlData).table, 'read')
      .useQueue(LICENCES_ENV.notificationsQueueUrl, licences.notifications, 'send')
      .useQueue(ENV.auditQueueUrl, context.data.get(AuditData).queue, 'send')
      .setEnv(LICENCES_ENV.issuerId, String(this.node.tryGetContext('licenceIssuerId') ?? DEFAULT_ISSUER_ID))
      .setEnv(LICENCES_ENV.publicUrl, context.http.issuer)
      .setEnv(LICENCES_ENV.trustList, String(this.node.tryGetContext('licenceTrustList') ?? '[]'))
      .setEnv(LICENCES_ENV.es256SealKeys, referencesOf(licences.sealKeys, 'ES256'));
    const sm2 = referencesOf(licences.sealKeys, 'SM2-SM3');
    if (sm2) fn.setEnv(LICENCES_ENV.sm2SealKeys, sm2);
    for (const key of licences.sealKeys) key.key?.grant(fn.fn, 'kms:Sign', 'kms:GetPublicKey');
    // The bucket is the record copy: the function writes a licence's document (and discards the copy of
    // one that lost its matter's race); reads come from the index. Nothing else of the bucket.
    fn.setEnv(LICENCES_ENV.licencesBucket, licences.bucket.bucketName);
    fn.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [licences.bucket.arnForObjects('licences/*')],
      }),
    );
    licences.bucket.encryptionKey?.grantEncrypt(fn.fn);
  }
}
