import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { routesByFunction } from '../functions/routes.ts';
import { ENV } from '../shared/env-names.ts';
import { DgovFunction, type DgovFunctionProps } from './constructs/dgov-function.ts';
import { DgovHttpApi } from './http-api.ts';
import type { BaseStack } from './base-stack.ts';
import { Operations } from './operations.ts';
import { regionRole } from './regions.ts';
import type { StageConfig } from './stage.ts';
import { MAX_CONSUMER_TIMEOUT, type StatefulStack } from './stateful-stack.ts';

export interface StatelessStackProps extends StackProps {
  config: StageConfig;
  version: string;
  data: StatefulStack;
  /** This region's base stack: the operations key for log groups and alarms. */
  base: BaseStack;
}

/** Code: functions and the HTTP API. Safe to destroy and redeploy at any time. */
export class StatelessStack extends Stack {
  readonly functions: Record<string, DgovFunction> = {};
  readonly http: DgovHttpApi;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const fn = (id: string, serviceName: string, description: string, extra: Partial<DgovFunctionProps> = {}) =>
      (this.functions[serviceName] = new DgovFunction(this, id, {
        serviceName,
        entry: `functions/${serviceName}/handler.ts`,
        description,
        stage: config.stage,
        version: props.version,
        logRetentionDays: config.logRetentionDays,
        removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        logEncryptionKey: props.base.opsKey,
        ...extra,
      }));

    const fallback = fn('Fallback', 'fallback', 'Answers unknown routes with problem+json 404/405');
    this.http = new DgovHttpApi(this, 'Http', fallback, config.domain);

    const health = fn('Health', 'health', 'GET /health: the state of every dependency')
      .useTable(ENV.controlTable, data.controlTable, 'describe')
      .useQueue(ENV.auditQueueUrl, data.auditQueue, 'describe')
      .useBucket(ENV.auditBucket, data.auditBucket, 'describe');
    this.http.addRoutes(health, routesByFunction.health);

    const openapi = fn('OpenApi', 'openapi', 'GET /openapi.json, generated from the route contracts');
    this.http.addRoutes(openapi, routesByFunction.openapi);

    const identity = fn('Identity', 'identity', 'OpenID Connect provider: one sign-on for the whole province', { memorySize: 1024 })
      .useTable(ENV.identityTable, data.identityTable, 'readWrite')
      .useTable(ENV.controlTable, data.controlTable, 'readWrite')
      .useQueue(ENV.auditQueueUrl, data.auditQueue, 'send')
      .useSigningKey(ENV.tokenKeys, data.tokenSigningKey)
      .setEnv(ENV.issuer, this.http.issuer)
      .setEnv(ENV.loginAttemptsPerMinute, String(config.loginAttemptsPerMinute));
    this.http.addRoutes(identity, routesByFunction.identity);

    const auditWriter = fn('AuditWriter', 'audit-writer', 'Stores audit events from the audit queue as gzip JSON Lines objects', {
      entry: 'functions/audit/writer.ts',
      timeout: MAX_CONSUMER_TIMEOUT,
    })
      .useTable(ENV.controlTable, data.controlTable, 'readWrite')
      .useBucket(ENV.auditBucket, data.auditBucket, 'readWrite');
    auditWriter.fn.addEventSource(
      new SqsEventSource(data.auditQueue, { batchSize: 100, maxBatchingWindow: Duration.seconds(5), reportBatchItemFailures: true }),
    );

    const auditSeal = fn('AuditSeal', 'audit-seal', 'Closes an audit period: a signed digest chained to the previous one', {
      entry: 'functions/audit/seal.ts',
      timeout: Duration.seconds(30),
    })
      .useTable(ENV.controlTable, data.controlTable, 'readWrite')
      .useBucket(ENV.auditBucket, data.auditBucket, 'readWrite')
      .useSigningKey(ENV.auditKey, data.auditSigningKey);
    new Rule(this, 'AuditSealSchedule', {
      description: 'Closes the audit digest period',
      schedule: Schedule.rate(Duration.minutes(config.auditPeriodMinutes)),
      targets: [new LambdaFunction(auditSeal.fn)],
    });

    // Throttling and access logs on the API, alarms, latency DNS, outputs (infra/operations.ts).
    new Operations(this, 'Operations', { config, role: regionRole(config, this.region), api: this.http.api, opsKey: props.base.opsKey, data });
  }
}
