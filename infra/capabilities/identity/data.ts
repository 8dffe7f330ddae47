import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { signingKey, type SigningKey } from '../../keys.ts';
import { crossRegionNames } from '../../regions.ts';
import { globalTable, SINGLE_TABLE } from '../../replication.ts';
import type { DataContext } from '../capability.ts';

/** Accounts, clients, sessions, codes and token families, and the key that signs tokens. */
export class IdentityData extends Construct {
  readonly table: ITableV2;
  /** Signs access and ID tokens: a multi-Region KMS key (one JWKS in both regions), or the key files of `npm start`. */
  readonly tokenSigningKey: SigningKey;

  constructor(scope: Construct, id: string, context: DataContext) {
    super(scope, id);
    this.table = globalTable(this, 'Table', 'identity', SINGLE_TABLE, context);
    this.tokenSigningKey = signingKey(this, 'TokenSigningKey', {
      role: context.role,
      alias: crossRegionNames.keyAlias(context.config.stage, 'token-signing'),
      description: 'Signs access and ID tokens (ES256)',
      files: context.config.tokenKeyFiles,
    });
  }
}
