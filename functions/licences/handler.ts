import { KMSClient } from '@aws-sdk/client-kms';
import { auditEmitter, sqsAuditSender } from '../../shared/audit.ts';
import { clientOptions } from '../../shared/aws/client-options.ts';
import { documents } from '../../shared/aws/dynamodb.ts';
import { s3 } from '../../shared/aws/s3.ts';
import { queues } from '../../shared/aws/sqs.ts';
import { namedDependency } from '../../shared/aws/unavailable.ts';
import { ENV, loadConfig } from '../../shared/config.ts';
import { tracer } from '../../shared/observability.ts';
import { s3DocumentArchive, sqsNotifier } from './adapters/archive.ts';
import { dynamoLicenceStore } from './adapters/dynamodb-store.ts';
import { qrPng } from './adapters/qr.ts';
import { sealSignerFor } from './adapters/seal-signers.ts';
import { userInfoHolder } from './adapters/userinfo.ts';
import { LICENCE_TYPES, validateCatalogue } from './catalogue.ts';
import { configSchema, trustListSchema } from './config.ts';
import { newLicenceId } from './domain/licence-id.ts';
import type { SealAlg } from './domain/seal.ts';
import { LICENCES_ENV } from './env.ts';
import type { SealSigner } from './ports.ts';
import { licencesHandler } from './routes.ts';

const config = loadConfig(configSchema);
const catalogue = validateCatalogue(LICENCE_TYPES);
const issuer = config[LICENCES_ENV.issuerId];
const publicUrl = config[LICENCES_ENV.publicUrl].replace(/\/$/, '');
let kms: KMSClient | undefined;
const kmsClient = () => (kms ??= namedDependency(tracer.captureAWSv3Client(new KMSClient(clientOptions)), 'kms'));
// The first key of each algorithm seals; the others (rotated out) stay published for verifiers.
const signers = new Map<SealAlg, SealSigner>();
const retired: SealSigner[] = [];
const configured: [SealAlg, string | undefined][] = [
  ['SM2-SM3', config[LICENCES_ENV.sm2SealKeys]],
  ['ES256', config[LICENCES_ENV.es256SealKeys]],
];
for (const [alg, references] of configured)
  for (const reference of (references ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const signer = sealSignerFor(alg, reference, issuer, kmsClient);
    if (signers.has(alg)) retired.push(signer);
    else signers.set(alg, signer);
  }
const trustList = trustListSchema.parse(JSON.parse(config[LICENCES_ENV.trustList] || '[]'));
if (trustList.some((key) => key.issuer === issuer))
  throw new Error(`the trust list may not name our own issuer ${issuer}`);

export const handler = licencesHandler({
  deps: {
    catalogue,
    store: dynamoLicenceStore(documents, config[LICENCES_ENV.licencesTable]),
    archive: s3DocumentArchive(s3, config[LICENCES_ENV.licencesBucket]),
    notify: sqsNotifier(queues, config[LICENCES_ENV.notificationsQueueUrl]),
    audit: auditEmitter(sqsAuditSender(config[ENV.auditQueueUrl]), config.region),
    signers,
    defaultAlg: signers.has('SM2-SM3') ? 'SM2-SM3' : 'ES256',
    retired,
    otherKeys: trustList.map(({ name: _name, ...jwk }) => jwk),
    ourIssuer: issuer,
    publicUrl,
    now: () => new Date(),
    newLicenceId: () => newLicenceId(),
  },
  holderOf: userInfoHolder(`${publicUrl}/oauth2/userinfo`),
  qrPng,
});
