import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { DataContext } from './capabilities/capability.ts';
import { globalTable, SINGLE_TABLE } from './replication.ts';

/**
 * The control table: idempotency records, rate-limit counters and the token deny-list. Not a
 * capability's: every function may use it through shared/ (the deny-list guards every JWT route),
 * so each stateful stack makes it before the capabilities' data.
 */
export class ControlData extends Construct {
  /** Items expire by `expiresAt`. */
  readonly table: ITableV2;

  constructor(scope: Construct, id: string, context: DataContext) {
    super(scope, id);
    this.table = globalTable(this, 'Table', 'control', SINGLE_TABLE, context);
  }
}
