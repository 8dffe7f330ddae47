import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_ID,
  Resolver,
  UnresolvableError,
  constructPath,
  partitionOf,
  resourcesOfType,
  type PhysicalResource,
  type StackTemplate,
} from '../../local/template.ts';

/** Two stacks in two regions: Data exports its table's name, Api imports it. */
const dataStack: StackTemplate = {
  stackName: 'DgovData',
  region: 'cn-north-1',
  assemblyDir: '/tmp/cdk.out',
  template: {
    Parameters: { Stage: { Default: 'dev' } },
    Conditions: {
      IsChina: { 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws-cn'] },
      IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
      IsChinaNotProd: { 'Fn::And': [{ Condition: 'IsChina' }, { 'Fn::Not': [{ Condition: 'IsProd' }] }] },
      IsProdOrChina: { 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'IsChina' }] },
    },
    Resources: {
      ControlTable: { Type: 'AWS::DynamoDB::Table', Metadata: { 'aws:cdk:path': 'DgovData/ControlTable/Resource' } },
      AuditBucket: { Type: 'AWS::S3::Bucket' },
      AuditQueue: { Type: 'AWS::SQS::Queue' },
    },
    Outputs: {
      TableName: {
        Value: { Ref: 'ControlTable' },
        Export: { Name: { 'Fn::Sub': '${AWS::StackName}:ControlTableName' } },
      },
      TableArn: { Value: { 'Fn::GetAtt': ['ControlTable', 'Arn'] }, Export: { Name: 'dgov-control-table-arn' } },
      NotExported: { Value: 'x' },
    },
  },
};

const apiStack: StackTemplate = {
  stackName: 'DgovApi',
  region: 'eu-west-1',
  assemblyDir: '/tmp/cdk.out',
  template: {
    Resources: {
      HealthFn: { Type: 'AWS::Lambda::Function' },
      HealthRole: { Type: 'AWS::IAM::Role' },
      Queue2: { Type: 'AWS::SQS::Queue' },
    },
  },
};

const physical: Record<string, Record<string, PhysicalResource>> = {
  DgovData: {
    ControlTable: {
      ref: 'dgov-control',
      attributes: { Arn: 'arn:aws-cn:dynamodb:cn-north-1:000000000000:table/dgov-control' },
    },
    AuditBucket: {
      ref: 'dgov-audit',
      attributes: { Arn: 'arn:aws-cn:s3:::dgov-audit', DomainName: 'dgov-audit.s3.amazonaws.com.cn' },
    },
    AuditQueue: {
      ref: 'http://localhost/000000000000/audit',
      attributes: { Arn: 'arn:aws-cn:sqs:cn-north-1:000000000000:audit', 'Endpoint.Address': 'q.local' },
    },
  },
  DgovApi: {
    HealthFn: { ref: 'dgov-health', attributes: { Arn: 'arn:aws:lambda:eu-west-1:000000000000:function:dgov-health' } },
  },
};

const lookup = (stackName: string, logicalId: string) => physical[stackName]?.[logicalId];
const resolver = new Resolver([dataStack, apiStack], lookup);
const inData = (value: unknown) => resolver.resolve(dataStack, value);
const inApi = (value: unknown) => resolver.resolve(apiStack, value);

describe('Resolver: Ref', () => {
  it('resolves a resource to its physical id', () => {
    expect(inData({ Ref: 'ControlTable' })).toBe('dgov-control');
  });

  it('resolves a parameter to its default', () => {
    expect(inData({ Ref: 'Stage' })).toBe('dev');
  });

  it('resolves pseudo parameters for the stack region', () => {
    expect(inData({ Ref: 'AWS::Region' })).toBe('cn-north-1');
    expect(inApi({ Ref: 'AWS::Region' })).toBe('eu-west-1');
    expect(inData({ Ref: 'AWS::AccountId' })).toBe(ACCOUNT_ID);
    expect(inData({ Ref: 'AWS::StackName' })).toBe('DgovData');
    expect(inData({ Ref: 'AWS::URLSuffix' })).toBe('amazonaws.com.cn');
    expect(inApi({ Ref: 'AWS::URLSuffix' })).toBe('amazonaws.com');
  });

  it('gives the aws-cn partition in China regions and aws elsewhere', () => {
    expect(inData({ Ref: 'AWS::Partition' })).toBe('aws-cn');
    expect(inApi({ Ref: 'AWS::Partition' })).toBe('aws');
    expect(partitionOf('cn-northwest-1')).toBe('aws-cn');
    expect(partitionOf('eu-west-1')).toBe('aws');
  });

  it('builds a stack id in the right partition', () => {
    expect(inData({ Ref: 'AWS::StackId' })).toMatch(
      /^arn:aws-cn:cloudformation:cn-north-1:000000000000:stack\/DgovData\//,
    );
  });

  it('throws UnresolvableError naming an unknown Ref and its stack', () => {
    expect(() => inData({ Ref: 'Nope' })).toThrow(UnresolvableError);
    expect(() => inData({ Ref: 'Nope' })).toThrow(/Nope.*DgovData/);
  });

  it('looks resources up in the stack being resolved, not another', () => {
    expect(() => inApi({ Ref: 'ControlTable' })).toThrow(UnresolvableError);
  });
});

describe('Resolver: Fn::GetAtt', () => {
  it('resolves the array form', () => {
    expect(inData({ 'Fn::GetAtt': ['AuditBucket', 'Arn'] })).toBe('arn:aws-cn:s3:::dgov-audit');
  });

  it("resolves the 'Logical.Attribute' form, splitting at the first dot", () => {
    expect(inData({ 'Fn::GetAtt': 'AuditBucket.DomainName' })).toBe('dgov-audit.s3.amazonaws.com.cn');
    expect(inData({ 'Fn::GetAtt': 'AuditQueue.Endpoint.Address' })).toBe('q.local');
  });

  it('throws UnresolvableError for an unknown attribute or resource', () => {
    expect(() => inData({ 'Fn::GetAtt': ['AuditBucket', 'WebsiteURL'] })).toThrow(UnresolvableError);
    expect(() => inData({ 'Fn::GetAtt': ['Missing', 'Arn'] })).toThrow(/Missing\.Arn/);
  });
});

describe('Resolver: Fn::Join, Fn::Select, Fn::Split', () => {
  it('joins resolved parts', () => {
    expect(
      inData({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'AuditBucket' }, '/*']] }),
    ).toBe('arn:aws-cn:s3:::dgov-audit/*');
    expect(inData({ 'Fn::Join': [',', ['a', 'b', 'c']] })).toBe('a,b,c');
  });

  it('selects by index from a literal list and from a split', () => {
    expect(inData({ 'Fn::Select': [1, ['a', 'b', 'c']] })).toBe('b');
    expect(inData({ 'Fn::Select': ['2', ['a', 'b', 'c']] })).toBe('c');
    expect(inData({ 'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::GetAtt': ['AuditQueue', 'Arn'] }] }] })).toBe(
      'audit',
    );
  });

  it('splits a resolved string', () => {
    expect(inData({ 'Fn::Split': ['/', 'a/b/c'] })).toEqual(['a', 'b', 'c']);
    expect(inData({ 'Fn::Split': ['-', { Ref: 'ControlTable' }] })).toEqual(['dgov', 'control']);
  });
});

describe('Resolver: Fn::Sub', () => {
  it('substitutes pseudo parameters', () => {
    expect(inData({ 'Fn::Sub': 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:q' })).toBe(
      'arn:aws-cn:sqs:cn-north-1:000000000000:q',
    );
  });

  it('substitutes resource refs and Logical.Attr attributes', () => {
    expect(inData({ 'Fn::Sub': '${ControlTable} is ${ControlTable.Arn}' })).toBe(
      'dgov-control is arn:aws-cn:dynamodb:cn-north-1:000000000000:table/dgov-control',
    );
  });

  it('substitutes from a variables map, whose values are resolved first', () => {
    expect(
      inData({ 'Fn::Sub': ['${Bucket}/${Key} in ${AWS::Region}', { Bucket: { Ref: 'AuditBucket' }, Key: 'logs' }] }),
    ).toBe('dgov-audit/logs in cn-north-1');
  });

  it('prefers a variable to a resource of the same name', () => {
    expect(inData({ 'Fn::Sub': ['${ControlTable}', { ControlTable: 'override' }] })).toBe('override');
  });

  it('keeps ${!Literal} as a literal ${Literal}', () => {
    expect(inData({ 'Fn::Sub': 'echo ${!HOME} in ${AWS::Region}' })).toBe('echo ${HOME} in cn-north-1');
  });

  it('throws UnresolvableError for an unknown name', () => {
    expect(() => inData({ 'Fn::Sub': 'x-${Unknown}' })).toThrow(UnresolvableError);
  });
});

describe('Resolver: Fn::ImportValue', () => {
  it('imports a value another stack exports, resolved in the exporting stack', () => {
    expect(inApi({ 'Fn::ImportValue': 'DgovData:ControlTableName' })).toBe('dgov-control');
    expect(inApi({ 'Fn::ImportValue': 'dgov-control-table-arn' })).toBe(
      'arn:aws-cn:dynamodb:cn-north-1:000000000000:table/dgov-control',
    );
  });

  it('resolves the import name itself', () => {
    expect(inApi({ 'Fn::ImportValue': { 'Fn::Join': [':', ['DgovData', 'ControlTableName']] } })).toBe('dgov-control');
  });

  it('throws UnresolvableError for a name no stack exports', () => {
    expect(() => inApi({ 'Fn::ImportValue': 'NotExported' })).toThrow(UnresolvableError);
    expect(() => inApi({ 'Fn::ImportValue': 'nobody-exports-this' })).toThrow(/nobody-exports-this/);
  });
});

describe('Resolver: conditions and AWS::NoValue', () => {
  it('evaluates named conditions', () => {
    expect(resolver.condition(dataStack, 'IsChina')).toBe(true);
    expect(resolver.condition(dataStack, 'IsProd')).toBe(false);
    expect(resolver.condition(dataStack, 'IsChinaNotProd')).toBe(true);
    expect(resolver.condition(dataStack, 'IsProdOrChina')).toBe(true);
  });

  it('picks the branch of Fn::If its condition selects', () => {
    expect(inData({ 'Fn::If': ['IsChina', 'china', 'global'] })).toBe('china');
    expect(inData({ 'Fn::If': ['IsProd', { Ref: 'AuditBucket' }, { Ref: 'ControlTable' }] })).toBe('dgov-control');
  });

  it('throws UnresolvableError for an undefined condition', () => {
    expect(() => inData({ 'Fn::If': ['NoSuchCondition', 'a', 'b'] })).toThrow(UnresolvableError);
    expect(() => inApi({ 'Fn::If': ['IsChina', 'a', 'b'] })).toThrow(/IsChina.*DgovApi/);
  });

  it('drops properties that resolve to AWS::NoValue', () => {
    expect(
      inData({
        TableName: { Ref: 'ControlTable' },
        Removed: { Ref: 'AWS::NoValue' },
        MaybeRemoved: { 'Fn::If': ['IsProd', 'kept-in-prod', { Ref: 'AWS::NoValue' }] },
        Kept: { 'Fn::If': ['IsChina', 'kept-in-china', { Ref: 'AWS::NoValue' }] },
      }),
    ).toEqual({ TableName: 'dgov-control', Kept: 'kept-in-china' });
  });

  it('drops list items that resolve to AWS::NoValue', () => {
    expect(inData(['a', { Ref: 'AWS::NoValue' }, { 'Fn::If': ['IsProd', 'b', { Ref: 'AWS::NoValue' }] }, 'c'])).toEqual(
      ['a', 'c'],
    );
  });
});

describe('Resolver: plain values', () => {
  it('resolves nested objects and arrays recursively and leaves literals alone', () => {
    expect(
      inApi({
        Environment: {
          Variables: { TABLE: { 'Fn::ImportValue': 'DgovData:ControlTableName' }, REGION: { Ref: 'AWS::Region' } },
        },
        Layers: [{ 'Fn::GetAtt': ['HealthFn', 'Arn'] }],
        MemorySize: 256,
        Tracing: null,
        Enabled: true,
      }),
    ).toEqual({
      Environment: { Variables: { TABLE: 'dgov-control', REGION: 'eu-west-1' } },
      Layers: ['arn:aws:lambda:eu-west-1:000000000000:function:dgov-health'],
      MemorySize: 256,
      Tracing: null,
      Enabled: true,
    });
  });

  it('throws UnresolvableError for an unsupported intrinsic', () => {
    expect(() => inData({ 'Fn::Transform': { Name: 'AWS::Include' } })).toThrow(UnresolvableError);
  });

  it('resolveString refuses a value that is not a string', () => {
    expect(resolver.resolveString(dataStack, { Ref: 'AuditBucket' })).toBe('dgov-audit');
    expect(resolver.resolveString(dataStack, 8080)).toBe('8080');
    expect(() => resolver.resolveString(dataStack, { 'Fn::Split': [',', 'a,b'] })).toThrow(UnresolvableError);
  });
});

describe('resourcesOfType and constructPath', () => {
  it('lists resources of the given types across stacks, in template order', () => {
    const queues = resourcesOfType([dataStack, apiStack], 'AWS::SQS::Queue');
    expect(queues.map(({ stack, logicalId }) => `${stack.stackName}/${logicalId}`)).toEqual([
      'DgovData/AuditQueue',
      'DgovApi/Queue2',
    ]);
    expect(queues[0]!.properties).toEqual({});
    expect(
      resourcesOfType([dataStack, apiStack], 'AWS::S3::Bucket', 'AWS::Lambda::Function').map((r) => r.logicalId),
    ).toEqual(['AuditBucket', 'HealthFn']);
  });

  it('names a resource by its CDK path without /Resource, or by its logical id', () => {
    expect(constructPath(dataStack.template.Resources!.ControlTable!, 'ControlTable')).toBe('DgovData/ControlTable');
    expect(constructPath(dataStack.template.Resources!.AuditBucket!, 'AuditBucket')).toBe('AuditBucket');
  });
});
