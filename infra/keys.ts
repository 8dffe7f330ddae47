import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccountRootPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias, CfnReplicaKey, Key, KeySpec, KeyUsage, type IKey } from 'aws-cdk-lib/aws-kms';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { arnIn, type RegionRole } from './regions.ts';

export interface MultiRegionKeyProps {
  role: RegionRole;
  /** Same alias in both regions: the replica region finds its primary by it. */
  alias: string;
  description: string;
  keySpec?: KeySpec;
  keyUsage?: KeyUsage;
}

/** One multi-Region key as this region sees it: the primary, or its replica. */
export interface RegionalKey {
  key: IKey;
  /** `mrk-…`: the same id in both regions. */
  keyId: string;
  keyArn: string;
  /** The related key (same id) in another region of the partition. */
  arnIn(region: string): string;
  /** The construct behind it: a Key in the primary region, a CfnReplicaKey in the replica region. */
  resource: Key | CfnReplicaKey;
}

/**
 * A customer-managed multi-Region KMS key: the primary in the primary region (rotating when
 * symmetric), and in the replica region an AWS::KMS::ReplicaKey of it. A replica needs its
 * primary's ARN, whose `mrk-` id is random; rather than a CloudFormation cross-region reference
 * (custom resources and SSM parameters in both regions), the replica region's stack asks KMS in
 * the primary region for the key behind the shared alias when it deploys.
 * Keys are retained: deleting a stack must never make data or signatures unreadable.
 */
export function multiRegionKey(scope: Construct, id: string, props: MultiRegionKeyProps): RegionalKey {
  const symmetric = (props.keySpec ?? KeySpec.SYMMETRIC_DEFAULT) === KeySpec.SYMMETRIC_DEFAULT;
  if (props.role.primary) {
    const key = new Key(scope, id, {
      description: props.description,
      multiRegion: true,
      keySpec: props.keySpec,
      keyUsage: props.keyUsage,
      enableKeyRotation: symmetric,
      alias: props.alias,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    return regional(scope, key, key.keyId, key.keyArn, key);
  }

  const primaryRegion = props.role.peer;
  const lookup = new AwsCustomResource(scope, `${id}PrimaryLookup`, {
    resourceType: 'Custom::MultiRegionKeyPrimary',
    onUpdate: {
      service: 'KMS',
      action: 'DescribeKey',
      parameters: { KeyId: props.alias },
      region: primaryRegion,
      physicalResourceId: PhysicalResourceId.fromResponse('KeyMetadata.Arn'),
      outputPaths: ['KeyMetadata.Arn'],
    },
    policy: AwsCustomResourcePolicy.fromStatements([
      new PolicyStatement({
        actions: ['kms:DescribeKey'],
        resources: [arnIn(scope, 'kms', primaryRegion, 'key/*')],
        conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': props.alias } },
      }),
    ]),
    installLatestAwsSdk: false,
  });
  const replica = new CfnReplicaKey(scope, id, {
    primaryKeyArn: lookup.getResponseField('KeyMetadata.Arn'),
    description: props.description,
    enabled: true,
    // The CDK default key policy: the account administers the key and IAM policies grant its use.
    keyPolicy: new PolicyDocument({
      statements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          principals: [new AccountRootPrincipal()],
          actions: ['kms:*'],
          resources: ['*'],
        }),
      ],
    }),
  });
  replica.applyRemovalPolicy(RemovalPolicy.RETAIN);
  const key = Key.fromKeyArn(scope, `${id}Replica`, replica.attrArn);
  new Alias(scope, `${id}Alias`, { aliasName: props.alias, targetKey: key });
  return regional(scope, key, replica.attrKeyId, replica.attrArn, replica);
}

function regional(
  scope: Construct,
  key: IKey,
  keyId: string,
  keyArn: string,
  resource: Key | CfnReplicaKey,
): RegionalKey {
  const home = Stack.of(scope).region;
  return {
    key,
    keyId,
    keyArn,
    resource,
    arnIn: (region) => (region === home ? keyArn : arnIn(scope, 'kms', region, `key/${keyId}`)),
  };
}

/** A key id for the signer port (KMS ARN or `file:` references) and, in the cloud, the key to grant. */
export interface SigningKey {
  keyId: string;
  key?: IKey;
}

/**
 * A multi-Region P-256 signing key (ES256; one JWKS or one digest chain across both regions),
 * or the key files the embedded runtime made instead (`file:…`, from `npm start`).
 */
export function signingKey(
  scope: Construct,
  id: string,
  props: { role: RegionRole; alias: string; description: string; files?: string },
): SigningKey {
  if (props.files) return { keyId: props.files };
  const { key, keyArn } = multiRegionKey(scope, id, {
    role: props.role,
    alias: props.alias,
    description: props.description,
    keySpec: KeySpec.ECC_NIST_P256,
    keyUsage: KeyUsage.SIGN_VERIFY,
  });
  return { keyId: keyArn, key };
}
