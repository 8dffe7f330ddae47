import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes, routesByFunction } from '../../functions/routes.ts';
import { routeKey } from '../../shared/route-contract.ts';
import {
  asArray,
  followImport,
  followImports,
  getAttArn,
  isIntrinsic,
  logicalId,
  ourFunctions,
  resourcesOfType,
  rolePolicyStatements,
  synthesize,
  type CfnResource,
  type Json,
  type OurFunction,
  type PolicyStatement,
  type Synthesized,
} from './synth.ts';
import { ControlData } from '../../infra/control-data.ts';
import { AuditData } from '../../infra/capabilities/audit/data.ts';

let synth: Synthesized;
let functions: OurFunction[];

beforeAll(() => {
  synth = synthesize();
  functions = ourFunctions(synth.stateless$);
});

afterAll(() => synth?.dispose());

const byService = (service: string): OurFunction => {
  const fn = functions.find((candidate) => candidate.service === service);
  if (!fn) throw new Error(`no function with POWERTOOLS_SERVICE_NAME=${service}`);
  return fn;
};

/** Statement resources as the stateful stack spells them (imports followed). */
const resolvedResources = (statement: PolicyStatement): unknown[] =>
  // Deep: a grant on a prefix of a bucket's objects is a Fn::Join around the imported ARN.
  statement.Resource.map((resource) => followImports(resource, [synth.stateful$, synth.base$]));

const allowedOn = (statements: PolicyStatement[], arn: unknown): string[] =>
  statements
    .filter(
      (statement) =>
        statement.Effect === 'Allow' &&
        resolvedResources(statement).some((resource) => JSON.stringify(resource) === JSON.stringify(arn)),
    )
    .flatMap((statement) => statement.Action);

describe('grants match the environment', () => {
  it('lets health describe the control table, the audit queue and the audit bucket', () => {
    const statements = rolePolicyStatements(synth.stateless$, byService('health'));
    expect(allowedOn(statements, getAttArn(logicalId(synth.stateful.data.get(ControlData).table)))).toContain(
      'dynamodb:DescribeTable',
    );
    expect(allowedOn(statements, getAttArn(logicalId(synth.stateful.data.get(AuditData).queue)))).toContain(
      'sqs:GetQueueAttributes',
    );
    expect(allowedOn(statements, getAttArn(logicalId(synth.stateful.data.get(AuditData).bucket)))).toContain(
      's3:ListBucket',
    );
  });

  it('gives health nothing more: no writes, no wildcards, no resource "*" beyond X-Ray', () => {
    const statements = rolePolicyStatements(synth.stateless$, byService('health'));
    const actions = statements.flatMap((statement) => statement.Action);
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(actions).not.toContain('s3:PutObject');
    for (const action of actions) expect(action, 'wildcard action').not.toMatch(/\*/);
    for (const statement of statements.filter((candidate) => candidate.Resource.includes('*'))) {
      for (const action of statement.Action) expect(action, 'action on resource "*"').toMatch(/^xray:/);
    }
    expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
  });

  it('grants each function access to exactly the stateful resources named in its environment, its event sources and their keys', () => {
    const stateful = synth.stateful$.Resources;
    const statefulIdOf = (value: unknown): string | undefined => {
      const followed = followImport(value, [synth.stateful$, synth.base$]);
      if (!isIntrinsic(followed)) return undefined;
      const id =
        typeof followed.Ref === 'string' ? followed.Ref : (followed['Fn::GetAtt'] as string[] | undefined)?.[0];
      return id && id in stateful ? id : undefined;
    };
    for (const fn of functions) {
      // Resources the environment names (by Ref or Arn), plus the queues that feed the function.
      const named = new Set(
        Object.values(fn.variables)
          .map(statefulIdOf)
          .filter((id): id is string => id !== undefined),
      );
      for (const [, mapping] of resourcesOfType(synth.stateless$, 'AWS::Lambda::EventSourceMapping')) {
        if (JSON.stringify(mapping.Properties?.FunctionName).includes(fn.logicalId)) {
          const source = statefulIdOf(mapping.Properties?.EventSourceArn);
          if (source) named.add(source);
        }
      }
      // A bucket encrypted with a customer-managed key may bring its key along (object access needs it, HeadBucket does not).
      const allowed = new Set(named);
      for (const id of named) {
        const rules =
          (
            stateful[id]?.Properties?.BucketEncryption as
              | {
                  ServerSideEncryptionConfiguration?: {
                    ServerSideEncryptionByDefault?: { KMSMasterKeyID?: unknown };
                  }[];
                }
              | undefined
          )?.ServerSideEncryptionConfiguration ?? [];
        for (const rule of rules) {
          const key = statefulIdOf(rule.ServerSideEncryptionByDefault?.KMSMasterKeyID);
          if (key) allowed.add(key);
        }
      }
      // Resources the role may touch: a GetAtt Arn (or Arn/*) of a stateful resource.
      const granted = new Set(
        rolePolicyStatements(synth.stateless$, fn)
          .flatMap(resolvedResources)
          .map((resource) => JSON.stringify(resource).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/)?.[1])
          .filter((id): id is string => id !== undefined && id in stateful),
      );
      for (const id of named) expect([...granted], `${fn.service}: named in env but not granted`).toContain(id);
      for (const id of granted) expect([...allowed], `${fn.service}: granted but not named in env`).toContain(id);
    }
  });
});

describe('HTTP API routes from the route contracts', () => {
  const routes = () => resourcesOfType(synth.stateless$, 'AWS::ApiGatewayV2::Route').map(([, route]) => route);
  const routeWithKey = (key: string): CfnResource => {
    const matches = routes().filter((route) => route.Properties?.RouteKey === key);
    expect(matches, key).toHaveLength(1);
    return matches[0]!;
  };

  /** Route → integration → function: the service name of the function a route invokes. */
  const targetService = (route: CfnResource): string => {
    const target = route.Properties?.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
    const [prefix, integrationRef] = target['Fn::Join'][1];
    expect(prefix).toBe('integrations/');
    const integration = synth.stateless$.Resources[integrationRef.Ref];
    expect(integration?.Type).toBe('AWS::ApiGatewayV2::Integration');
    expect(integration?.Properties?.IntegrationType).toBe('AWS_PROXY');
    expect(integration?.Properties?.PayloadFormatVersion).toBe('2.0');
    const uri = integration!.Properties!.IntegrationUri as { 'Fn::GetAtt': [string, string] };
    const fn = functions.find((candidate) => candidate.logicalId === uri['Fn::GetAtt'][0]);
    expect(fn, JSON.stringify(uri)).toBeDefined();
    return fn!.service;
  };

  it('declares one route per contract plus $default, and no other', () => {
    expect(routes()).toHaveLength(allRoutes.length + 1);
    expect(
      routes()
        .map((route) => route.Properties?.RouteKey)
        .sort(),
    ).toEqual([...allRoutes.map(routeKey), '$default'].sort());
  });

  it('sends each route to the function that serves it in routesByFunction', () => {
    for (const [service, contracts] of Object.entries(routesByFunction)) {
      for (const contract of contracts)
        expect(targetService(routeWithKey(routeKey(contract))), routeKey(contract)).toBe(service);
    }
  });

  it('sends $default to the fallback function', () => {
    expect(targetService(routeWithKey('$default'))).toBe('fallback');
  });

  it('puts the JWT authorizer, with the contract scopes, exactly on routes marked auth: jwt', () => {
    for (const contract of allRoutes) {
      const props = routeWithKey(routeKey(contract)).Properties!;
      if (contract.auth === 'jwt') {
        expect(props.AuthorizationType, routeKey(contract)).toBe('JWT');
        expect(asArray(props.AuthorizationScopes as string[]).sort(), routeKey(contract)).toEqual(
          [...(contract.scopes ?? [])].sort(),
        );
      } else {
        expect(props.AuthorizationType, routeKey(contract)).toBe('NONE');
      }
    }
  });

  it('lets API Gateway invoke every function behind a route', () => {
    const permissions = resourcesOfType(synth.stateless$, 'AWS::Lambda::Permission').map(
      ([, permission]) => permission.Properties as Json,
    );
    for (const service of [...Object.keys(routesByFunction), 'fallback']) {
      const fn = byService(service);
      const invokers = permissions.filter(
        (permission) =>
          permission.Principal === 'apigateway.amazonaws.com' &&
          permission.Action === 'lambda:InvokeFunction' &&
          JSON.stringify(permission.FunctionName) === JSON.stringify(getAttArn(fn.logicalId)),
      );
      expect(invokers.length, service).toBeGreaterThan(0);
    }
  });
});
