import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotlineManifest } from '../../../functions/hotline/manifest.ts';
import { HotlineData } from '../../../infra/capabilities/hotline/data.ts';
import { IdentityData } from '../../../infra/capabilities/identity/data.ts';
import {
  logicalId,
  ourFunctions,
  resourcesOfType,
  rolePolicyStatements,
  synthesize,
  type Synthesized,
} from '../synth.ts';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});
afterAll(() => synth?.dispose());

const fn = (service: string) => ourFunctions(synth.stateless$).find((candidate) => candidate.service === service)!;
const actionsOn = (service: string, resourceId: string) =>
  rolePolicyStatements(synth.stateless$, fn(service))
    .filter((statement) => JSON.stringify(statement.Resource).includes(resourceId))
    .flatMap((statement) => statement.Action as string | string[]);

describe('hotline infrastructure', () => {
  it('keeps tickets in a global table with the work-queue, timer and filer indexes', () => {
    synth.statefulTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: Match.arrayWith(
        ['byDepartment', 'escalations', 'timers', 'byFiler'].map((name) => Match.objectLike({ IndexName: name })),
      ),
    });
  });

  it('routes through a queue that dead-letters after 5 receives, with an alarm on the DLQ depth', () => {
    const data = synth.stateful.data.get(HotlineData);
    synth.statefulTemplate.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
      VisibilityTimeout: 180,
    });
    const alarms = resourcesOfType(synth.stateless$, 'AWS::CloudWatch::Alarm').map(([, alarm]) =>
      JSON.stringify(alarm.Properties),
    );
    expect(alarms.some((alarm) => alarm.includes('RoutingDeadLetters'))).toBe(true);
    expect(data.routingQueue.deadLetterQueue?.queue).toBe(data.deadLetters);
  });

  it('consumes the routing queue with partial batch failures, and sweeps SLA timers every minute', () => {
    synth.statelessTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: Match.objectLike({ Ref: Match.stringLikeRegexp('^HotlineRouter') }),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
    synth.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Description: Match.stringLikeRegexp('SLA'),
    });
    const alarms = resourcesOfType(synth.stateless$, 'AWS::CloudWatch::Alarm').map(([, alarm]) =>
      JSON.stringify(alarm.Properties),
    );
    expect(alarms.some((alarm) => alarm.includes('slaBreached') && alarm.includes('hotline-sweeper'))).toBe(true);
  });

  it('grants each function what it needs: the API reads the identity table only, the router writes nothing of identity', () => {
    const identityTable = logicalId(synth.stateful.data.get(IdentityData).table as never);
    const apiActions = actionsOn('hotline', identityTable);
    expect(apiActions.length).toBeGreaterThan(0);
    expect(apiActions.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
    expect(actionsOn('hotline-router', identityTable)).toEqual([]);
    expect(actionsOn('hotline-sweeper', identityTable)).toEqual([]);
    expect(Object.keys(fn('hotline').variables)).toEqual(
      expect.arrayContaining([
        'DGOV_HOTLINE_TABLE',
        'DGOV_HOTLINE_ROUTING_QUEUE_URL',
        'DGOV_HOTLINE_API_KEY_TABLE',
        'DGOV_HOTLINE_ISSUER',
        'DGOV_AUDIT_QUEUE_URL',
      ]),
    );
    expect(Object.keys(fn('hotline-router').variables)).toEqual(
      expect.arrayContaining(['DGOV_HOTLINE_DEAD_LETTER_QUEUE_URL']),
    );
  });

  it('declares the contract routes, JWT on the ticket API and none on Open311 and the page', () => {
    const routes = resourcesOfType(synth.stateless$, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties!);
    for (const route of hotlineManifest.functions[0]!.routes!) {
      const declared = routes.find((candidate) => candidate.RouteKey === `${route.method} ${route.path}`);
      expect(declared, route.path).toBeDefined();
      expect(declared!.AuthorizationType ?? 'NONE').toBe(route.auth === 'jwt' ? 'JWT' : 'NONE');
    }
  });
});
