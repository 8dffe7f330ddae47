import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { globalTable, SINGLE_TABLE } from '../../replication.ts';
import type { DataContext } from '../capability.ts';

/** The control table: idempotency records, rate-limit counters and the token deny-list. */
export class ControlData extends Construct {
  /** Items expire by `expiresAt`. */
  readonly table: ITableV2;

  constructor(scope: Construct, id: string, context: DataContext) {
    super(scope, id);
    this.table = globalTable(this, 'Table', 'control', SINGLE_TABLE, context);
  }
}
