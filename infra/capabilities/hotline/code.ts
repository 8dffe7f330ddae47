import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { HOTLINE_ENV } from '../../../functions/hotline/env.ts';
import { hotlineManifest } from '../../../functions/hotline/manifest.ts';
import { ENV } from '../../../shared/env-names.ts';
import { AuditData } from '../audit/data.ts';
import type { CodeContext } from '../capability.ts';
import { functionOf } from '../functions.ts';
import { IdentityData } from '../identity/data.ts';
import { HotlineData, ROUTER_TIMEOUT } from './data.ts';

/** The SLA sweeper's period: reminders and breaches fire within this of their time. */
export const SWEEP_MINUTES = 1;

/** The hotline API (with the Open311 facade and the work-queue page), the router and the SLA sweeper. */
export class HotlineCode extends Construct {
  constructor(scope: Construct, id: string, context: CodeContext) {
    super(scope, id);
    const hotline = context.data.get(HotlineData);
    const auditQueue = context.data.get(AuditData).queue;

    context
      .addFunction(this, functionOf(hotlineManifest, 'hotline'))
      .useTable(HOTLINE_ENV.table, hotline.table, 'readWrite')
      .useQueue(HOTLINE_ENV.routingQueueUrl, hotline.routingQueue, 'send')
      // Read only, for the Open311 api_key lookup items (functions/hotline/dynamodb/api-keys.ts).
      .useTable(HOTLINE_ENV.apiKeyTable, context.data.get(IdentityData).table, 'read')
      .useQueue(ENV.auditQueueUrl, auditQueue, 'send')
      .setEnv(HOTLINE_ENV.issuer, context.http.issuer);

    const router = context
      .addFunction(this, functionOf(hotlineManifest, 'hotline-router'), { timeout: ROUTER_TIMEOUT })
      .useTable(HOTLINE_ENV.table, hotline.table, 'readWrite')
      .useQueue(HOTLINE_ENV.deadLetterQueueUrl, hotline.deadLetters, 'send')
      .useQueue(ENV.auditQueueUrl, auditQueue, 'send');
    // CDK context hotlineSla: JSON { urgent, enquiry, complaint, categories? } in working days (docs/hotline.md).
    const sla = this.node.tryGetContext('hotlineSla') as unknown;
    if (sla !== undefined) router.setEnv(HOTLINE_ENV.sla, typeof sla === 'string' ? sla : JSON.stringify(sla));
    router.fn.addEventSource(
      new SqsEventSource(hotline.routingQueue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
      }),
    );

    const sweeper = context
      .addFunction(this, functionOf(hotlineManifest, 'hotline-sweeper'), { timeout: Duration.seconds(30) })
      .useTable(HOTLINE_ENV.table, hotline.table, 'readWrite')
      // A ticket still RECEIVED at its routing check lost its message: the sweeper sends it again.
      .useQueue(HOTLINE_ENV.routingQueueUrl, hotline.routingQueue, 'send')
      .useQueue(ENV.auditQueueUrl, auditQueue, 'send');
    new Rule(this, 'SweepSchedule', {
      description: 'SLA reminders and breach escalation of 12345 tickets',
      schedule: Schedule.rate(Duration.minutes(SWEEP_MINUTES)),
      targets: [new LambdaFunction(sweeper.fn)],
    });
  }
}
