import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IKey, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, type Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LICENCE_INDEXES } from '../../../functions/licences/adapters/dynamodb-store.ts';
import { multiRegionKey } from '../../keys.ts';
import { crossRegionNames } from '../../regions.ts';
import { globalTable, replicatedBucket, SINGLE_TABLE } from '../../replication.ts';
import type { DataContext } from '../capability.ts';

/** What a subscriber of the notifications queue may take over one message. */
const SUBSCRIBER_TIMEOUT = Duration.seconds(30);

/** A seal key as the function's DGOV_LICENCE_SEAL_KEYS names it, with the KMS key to grant in the cloud. */
export interface SealKey {
  alg: 'SM2-SM3' | 'ES256';
  /** A KMS key ARN, or `file:…` locally. */
  reference: string;
  key?: IKey;
}

/**
 * The licences index (a global table with GSIs by holder, type and issuer), the versioned
 * replicated bucket of sealed documents, the notifications queue, and the seal keys:
 * multi-Region KMS keys (SM2 in the China regions, where KMS offers SM2DSA, and P-256
 * everywhere), or the key files `npm start` made (CDK context `licenceSealKeys`).
 */
export class LicencesData extends Construct {
  readonly table: ITableV2;
  readonly bucket: Bucket;
  readonly notifications: Queue;
  readonly notificationsDeadLetters: Queue;
  readonly sealKeys: SealKey[];

  constructor(scope: Construct, id: string, context: DataContext) {
    super(scope, id);
    const { config, role, removalPolicy } = context;
    this.table = globalTable(
      this,
      'Table',
      'licences',
      {
        ...SINGLE_TABLE,
        globalSecondaryIndexes: Object.entries(LICENCE_INDEXES).map(([indexName, keys]) => ({
          indexName,
          partitionKey: { name: keys.partitionKey, type: AttributeType.STRING },
          sortKey: { name: keys.sortKey, type: AttributeType.STRING },
        })),
      },
      context,
    );
    const encryptionKey = multiRegionKey(this, 'EncryptionKey', {
      role,
      alias: crossRegionNames.keyAlias(config.stage, 'licences'),
      description: 'Encrypts the licences bucket',
    }).key;
    this.bucket = replicatedBucket(
      this,
      'Bucket',
      'licences',
      {
        versioned: true,
        encryption: BucketEncryption.KMS,
        encryptionKey,
        bucketKeyEnabled: true,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforceSSL: true,
        removalPolicy: RemovalPolicy.RETAIN,
      },
      context,
    );
    this.notificationsDeadLetters = new Queue(this, 'NotificationsDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      removalPolicy,
    });
    this.notifications = new Queue(this, 'Notifications', {
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(4),
      // Its subscribers are outside the suite: they get what every queue here gives its consumer,
      // 6× a 30 s consumer's timeout (AWS's advice for Lambda event sources), not SQS's 30 s default.
      visibilityTimeout: Duration.seconds(SUBSCRIBER_TIMEOUT.toSeconds() * 6),
      enforceSSL: true,
      removalPolicy,
      deadLetterQueue: { queue: this.notificationsDeadLetters, maxReceiveCount: 5 },
    });

    const files = this.node.tryGetContext('licenceSealKeys') as string | undefined;
    if (files) {
      // `SM2-SM3:file:/a.pem,ES256:file:/b.pem` (local/keys.ts)
      this.sealKeys = files.split(',').map((item) => {
        const [alg, ...rest] = item.trim().split(':');
        if (alg !== 'SM2-SM3' && alg !== 'ES256') throw new Error(`licenceSealKeys: "${item}" names no seal algorithm`);
        const reference = rest.join(':');
        // A KMS key given here would get no grant: every seal would fail when issuing, not now.
        if (!reference.startsWith('file:'))
          throw new Error(`licenceSealKeys: "${item}" must be <alg>:file:/path/key.pem (leave it unset for KMS keys)`);
        return { alg, reference };
      });
      return;
    }
    const kmsKey = (keyId: string, alg: SealKey['alg'], keySpec: KeySpec, description: string): SealKey => {
      const { key, keyArn } = multiRegionKey(this, keyId, {
        role,
        alias: crossRegionNames.keyAlias(config.stage, `licence-seal-${alg.toLowerCase()}`),
        description,
        keySpec,
        keyUsage: KeyUsage.SIGN_VERIFY,
      });
      return { alg, reference: keyArn, key };
    };
    this.sealKeys = [
      ...(role.home.startsWith('cn-')
        ? [kmsKey('SealKeySm2', 'SM2-SM3', KeySpec.SM2, 'Seals electronic licences (SM2DSA, GB/T 32918)')]
        : []),
      kmsKey('SealKeyP256', 'ES256', KeySpec.ECC_NIST_P256, 'Seals electronic licences (ES256)'),
    ];
  }
}
