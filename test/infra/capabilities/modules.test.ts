import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITIES } from '../../../functions/capabilities.ts';
import { capabilityInfra } from '../../../infra/capabilities/index.ts';
import { ENV } from '../../../shared/env-names.ts';
import { PROJECT_ROOT } from '../../../infra/project-root.ts';
import { acknowledgeFindings, findings, type Finding, type Suppression } from '../../../infra/nag.ts';
import { SampleData, sampleInfra } from '../../fixtures/capability/infra.ts';
import { SAMPLE_ENV, sampleManifest } from '../../fixtures/capability/manifest.ts';
import {
  followImport,
  getAttArn,
  type Json,
  logicalId,
  type OurFunction,
  ourFunctions,
  type PolicyStatement,
  resourcesOfType,
  rolePolicyStatements,
  type Synthesized,
  synthesize,
} from '../synth.ts';

/**
 * A capability the stacks have never heard of (test/fixtures/capability/), added to the list and
 * nothing else: it must get its routes, environment, grants, alarms and cdk-nag treatment.
 */
let synth: Synthesized;
let acknowledged: { finding: Finding; suppression: Suppression }[];
let left: Finding[];

beforeAll(() => {
  synth = synthesize({}, [...capabilityInfra(), sampleInfra]);
  synth.app.synth();
  acknowledged = acknowledgeFindings(synth.app);
  left = findings(synth.app);
});
afterAll(() => synth?.dispose());

const sampleFunction = (service: string): OurFunction => {
  const fn = ourFunctions(synth.stateless$).find((candidate) => candidate.service === service);
  if (!fn) throw new Error(`no function ${service}`);
  return fn;
};
const sampleTableArn = () => getAttArn(logicalId(synth.stateful.data.get(SampleData).table as never));
const actionsOn = (statements: PolicyStatement[], arn: unknown) =>
  statements
    .filter((statement) =>
      statement.Resource.some(
        (resource) => JSON.stringify(followImport(resource, [synth.stateful$, synth.base$])) === JSON.stringify(arn),
      ),
    )
    .flatMap((statement) => statement.Action);

describe('a capability declared in the list', () => {
  it('gets a route per contract on its HTTP function, public or behind the JWT authorizer with its scopes', () => {
    const routes = resourcesOfType(synth.stateless$, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties!);
    const api = sampleFunction('sample-api');
    const integrations = Object.fromEntries(resourcesOfType(synth.stateless$, 'AWS::ApiGatewayV2::Integration'));
    for (const contract of sampleManifest.functions[0]!.routes ?? []) {
      const route = routes.find((candidate) => candidate.RouteKey === `${contract.method} ${contract.path}`);
      expect(route, contract.operationId).toBeDefined();
      const integrationId = String((route!.Target as Json)['Fn::Join'] ? JSON.stringify(route!.Target) : route!.Target);
      const integration = Object.entries(integrations).find(([id]) => integrationId.includes(id))?.[1];
      expect(JSON.stringify(integration?.Properties?.IntegrationUri)).toContain(api.logicalId);
      if (contract.auth === 'jwt') {
        expect(route).toMatchObject({ AuthorizationType: 'JWT', AuthorizationScopes: contract.scopes });
      } else {
        expect(route!.AuthorizationType ?? 'NONE').toBe('NONE');
      }
    }
  });

  it('gives each function the environment its manifest config asks for', () => {
    for (const manifest of sampleManifest.functions) {
      const fn = sampleFunction(manifest.service);
      for (const name of Object.keys(manifest.config.shape))
        expect(fn.variables, `${manifest.service} ${name}`).toHaveProperty(name);
      expect(followImport(fn.variables[SAMPLE_ENV.sampleTable], [synth.stateful$])).toEqual({
        Ref: logicalId(synth.stateful.data.get(SampleData).table as never),
      });
    }
  });

  it('grants each function what its code construct asked for, and no more', () => {
    const api = rolePolicyStatements(synth.stateless$, sampleFunction('sample-api'));
    expect(actionsOn(api, sampleTableArn())).toContain('dynamodb:PutItem');
    const sweep = rolePolicyStatements(synth.stateless$, sampleFunction('sample-sweep'));
    expect(actionsOn(sweep, sampleTableArn())).toContain('dynamodb:Query');
    expect(actionsOn(sweep, sampleTableArn())).not.toContain('dynamodb:PutItem');
    const worker = rolePolicyStatements(synth.stateless$, sampleFunction('sample-worker'));
    const queueArn = getAttArn(logicalId(synth.stateful.data.get(SampleData).queue));
    expect(actionsOn(worker, queueArn)).toContain('sqs:ReceiveMessage');
  });

  it('gives every function with a JWT route read access to the token deny-list, and only those', () => {
    const controlArn = getAttArn(logicalId(synth.stateful.control.table as never));
    const api = sampleFunction('sample-api');
    expect(followImport(api.variables[ENV.controlTable], [synth.stateful$])).toEqual({
      Ref: logicalId(synth.stateful.control.table as never),
    });
    expect(actionsOn(rolePolicyStatements(synth.stateless$, api), controlArn)).toContain('dynamodb:GetItem');
    for (const service of ['sample-worker', 'sample-sweep']) {
      const fn = sampleFunction(service);
      expect(fn.variables, service).not.toHaveProperty(ENV.controlTable);
      expect(actionsOn(rolePolicyStatements(synth.stateless$, fn), controlArn), service).toEqual([]);
    }
  });

  it('gets alarms from the invocation kinds: errors of its queue and schedule functions, its DLQ, its SLA breaches', () => {
    const alarms = resourcesOfType(synth.stateless$, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties!);
    const dimension = (alarm: Json, name: string) =>
      followImport((alarm.Dimensions as { Name: string; Value: unknown }[]).find((d) => d.Name === name)?.Value, [
        synth.stateful$,
      ]);
    const errors = alarms
      .filter((alarm) => alarm.MetricName === 'Errors')
      .map((alarm) => JSON.stringify(dimension(alarm, 'FunctionName')));
    for (const service of ['sample-worker', 'sample-sweep'])
      expect(errors).toContain(JSON.stringify({ Ref: sampleFunction(service).logicalId }));
    expect(errors).not.toContain(JSON.stringify({ Ref: sampleFunction('sample-api').logicalId }));
    const dlqs = alarms
      .filter((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible')
      .map((alarm) => JSON.stringify(dimension(alarm, 'QueueName')));
    expect(dlqs).toContain(
      JSON.stringify({ 'Fn::GetAtt': [logicalId(synth.stateful.data.get(SampleData).deadLetters), 'QueueName'] }),
    );
    const sla = alarms
      .filter((alarm) => alarm.MetricName === 'slaBreached')
      .map((alarm) => dimension(alarm, 'service'));
    // Of the sample's functions only its sweeper says publishesSlaBreaches (the hotline's sweeper has its own).
    expect(sla.filter((service) => String(service).startsWith('sample-'))).toEqual(['sample-sweep']);
  });

  it('gets the cdk-nag treatment of its functions by kind, leaving nothing unsuppressed', () => {
    expect(left.map((finding) => finding.id)).toEqual([]);
    const dlqReasons = (service: string) =>
      acknowledged
        .filter(
          ({ finding }) =>
            finding.rule === 'NIST.800.53.R5-LambdaDLQ' &&
            finding.constructPath.startsWith(`${synth.stateless.stackName}/Sample/${service}/`),
        )
        .map(({ suppression }) => suppression.kinds);
    expect(dlqReasons('Api')).toEqual([['http']]);
    expect(dlqReasons('Worker')).toEqual([['queue']]);
    expect(dlqReasons('Sweep')).toEqual([['schedule']]);
    const publicRoutes = acknowledged
      .filter(({ finding }) => finding.rule === 'AwsSolutions-APIG4')
      .map(({ finding }) => finding.constructPath);
    expect(publicRoutes.some((path) => path.endsWith('/Http/listSamplesRoute/Resource'))).toBe(true);
    expect(publicRoutes.some((path) => path.endsWith('/Http/createSampleRoute/Resource'))).toBe(false);
  });
});

describe('the stacks name no capability', () => {
  it('keeps every capability name out of infra/ stacks and the app: they loop over the list', () => {
    const files = ['app.ts', 'base-stack.ts', 'stateful-stack.ts', 'stateless-stack.ts', 'operations.ts', 'alarms.ts'];
    for (const file of files) {
      // API Gateway's own `$context.identity.sourceIp` is not the identity capability.
      const text = readFileSync(`${PROJECT_ROOT}infra/${file}`, 'utf8').replace(/\$context\.[\w.]+/g, '');
      for (const { name } of CAPABILITIES)
        expect(text, `${file} names ${name}`).not.toMatch(new RegExp(`\\b${name}\\b`, 'i'));
    }
  });
});
