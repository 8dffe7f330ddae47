import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { auditManifest } from '../../../functions/audit/manifest.ts';
import { ENV } from '../../../shared/env-names.ts';
import type { CodeContext } from '../capability.ts';
import { functionOf } from '../functions.ts';
import { ControlData } from '../../control-data.ts';
import { AUDIT_CONSUMER_TIMEOUT, AuditData } from './data.ts';
import { grantSeal, grantWriter } from './guard.ts';

/** The writer (audit queue → events objects) and the seal (a signed digest every period), each granted only its prefix. */
export class AuditCode extends Construct {
  constructor(scope: Construct, id: string, context: CodeContext) {
    super(scope, id);
    const audit = context.data.get(AuditData);
    const control = context.data.get(ControlData);

    const writer = context
      .addFunction(this, functionOf(auditManifest, 'audit-writer'), { timeout: AUDIT_CONSUMER_TIMEOUT })
      .useTable(ENV.controlTable, control.table, 'readWrite')
      .setEnv(ENV.auditBucket, audit.bucket.bucketName);
    grantWriter(writer.fn, audit.bucket);
    writer.fn.addEventSource(
      new SqsEventSource(audit.queue, {
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
      }),
    );

    const seal = context
      .addFunction(this, functionOf(auditManifest, 'audit-seal'), { timeout: Duration.seconds(30) })
      .useTable(ENV.controlTable, control.table, 'readWrite')
      .setEnv(ENV.auditBucket, audit.bucket.bucketName)
      .useSigningKey(ENV.auditKey, audit.signingKey);
    grantSeal(seal.fn, audit.bucket);
    new Rule(this, 'SealSchedule', {
      description: 'Closes the audit digest period',
      schedule: Schedule.rate(Duration.minutes(context.config.auditPeriodMinutes)),
      targets: [new LambdaFunction(seal.fn)],
    });
  }
}
