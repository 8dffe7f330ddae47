import { Stack } from 'aws-cdk-lib';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * A Glue table over events/ with partition projection, so auditors query the trail with
 * Athena without crawlers or partition maintenance: `WHERE hour BETWEEN '2026/11/01/00' AND …`.
 */
export class AuditCatalog extends Construct {
  readonly databaseName: string;
  readonly tableName = 'audit_events';

  constructor(scope: Construct, id: string, props: { bucket: IBucket; stage: string }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.databaseName = `dgov_${props.stage}_audit`;
    const database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: 'dgov audit trail' },
    });
    const location = `s3://${props.bucket.bucketName}/events/`;
    const table = new CfnTable(this, 'Events', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.hour.type': 'date',
          'projection.hour.format': 'yyyy/MM/dd/HH',
          'projection.hour.range': '2026/01/01/00,NOW',
          'projection.hour.interval': '1',
          'projection.hour.interval.unit': 'HOURS',
          'storage.location.template': `${location}\${hour}/`,
        },
        partitionKeys: [{ name: 'hour', type: 'string' }],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'case.insensitive': 'true' },
          },
          columns: [
            { name: 'eventid', type: 'string' },
            { name: 'time', type: 'string' },
            { name: 'actor', type: 'struct<kind:string,id:string,clientid:string>' },
            { name: 'action', type: 'string' },
            { name: 'resource', type: 'string' },
            { name: 'outcome', type: 'string' },
            { name: 'requestid', type: 'string' },
            { name: 'callerrequestid', type: 'string' },
            { name: 'sourceip', type: 'string' },
            { name: 'region', type: 'string' },
          ],
        },
      },
    });
    table.addResourceDependency(database);
  }
}
