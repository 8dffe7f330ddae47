import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import type { CfnStage, HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { RegionalAlarms } from './alarms.ts';
import type { DgovFunction } from './constructs/dgov-function.ts';
import { LatencyRouting } from './dns.ts';
import type { RegionRole } from './regions.ts';
import type { StageConfig } from './stage.ts';

/** Steady-state and burst limits of every route (API Gateway answers 429 beyond them). */
export const API_THROTTLE = { rateLimit: 500, burstLimit: 1000 } as const;

/** One JSON line per request; the request id joins it to the function's own logs. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
});

export interface OperationsProps {
  config: StageConfig;
  role: RegionRole;
  api: HttpApi;
  /** The region's operations key: access logs and the alarm topic. */
  opsKey: IKey;
  /** The stateful stack whose queues, buckets and tables are watched. */
  data: Construct;
  /** Every function of the region: those not invoked over HTTP get an errors alarm. */
  functions: DgovFunction[];
}

/**
 * Running one region's API: throttling and access logs on its stage, its alarms, its
 * latency record and health check when the stage has a domain, and its URL as an output.
 */
export class Operations extends Construct {
  readonly accessLogs: LogGroup;
  readonly alarms: RegionalAlarms;
  readonly dns?: LatencyRouting;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { config, role, api } = props;

    this.accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: config.logRetentionDays >= 365 ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH,
      encryptionKey: props.opsKey,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // HttpApi makes its $default stage without these options; set them on the stage it made.
    const stage = api.defaultStage?.node.defaultChild as CfnStage | undefined;
    if (!stage) throw new Error('the HTTP API has no $default stage');
    stage.accessLogSettings = { destinationArn: this.accessLogs.logGroupArn, format: ACCESS_LOG_FORMAT };
    stage.defaultRouteSettings = {
      throttlingRateLimit: API_THROTTLE.rateLimit,
      throttlingBurstLimit: API_THROTTLE.burstLimit,
    };

    this.alarms = new RegionalAlarms(this, 'Alarms', {
      role,
      topicKey: props.opsKey,
      api,
      data: props.data,
      functions: props.functions,
      email: config.alarmEmail,
    });

    if (config.domain && config.hostedZoneId && config.hostedZoneName) {
      this.dns = new LatencyRouting(this, 'Dns', {
        stage: config.stage,
        role,
        api,
        domain: config.domain,
        hostedZoneId: config.hostedZoneId,
        hostedZoneName: config.hostedZoneName,
      });
    }

    new CfnOutput(scope, 'ApiUrl', { value: api.apiEndpoint, description: `The HTTP API in ${role.home}` });
    new CfnOutput(scope, 'Region', { value: role.home });
    new CfnOutput(scope, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    if (config.domain)
      new CfnOutput(scope, 'PublicUrl', {
        value: `https://${config.domain}`,
        description: 'Latency-routed to the nearest healthy region',
      });
  }
}
