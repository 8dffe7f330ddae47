import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { LocalClients } from './aws-clients.ts';
import {
  ACCOUNT_ID,
  partitionOf,
  Resolver,
  resourcesOfType,
  type PhysicalResource,
  type StackTemplate,
} from './template.ts';

/** What the local AWS holds for the template, by stack and logical id. */
export class ResourceMap {
  private readonly byKey = new Map<string, PhysicalResource>();
  set(stackName: string, logicalId: string, resource: PhysicalResource) {
    this.byKey.set(`${stackName}/${logicalId}`, resource);
  }
  get(stackName: string, logicalId: string): PhysicalResource | undefined {
    return this.byKey.get(`${stackName}/${logicalId}`);
  }
}

/** Physical names derived from stack and logical id: stable across restarts, unique per stack. */
export const localName = (stackName: string, logicalId: string, maxLength: number) => {
  const name = `${stackName}-${logicalId}`.replace(/[^A-Za-z0-9_.-]/g, '-');
  return name.length <= maxLength ? name : name.slice(0, maxLength);
};

const bucketName = (stackName: string, logicalId: string) =>
  localName(stackName, logicalId, 63)
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/-+$/, '');

export interface ProvisionOptions {
  apiUrl: string;
  log?: (line: string) => void;
}

/**
 * Creates the template's tables, buckets and queues in the local AWS (keeping what already
 * exists, so data survives a restart) and records every resource's Ref and attributes.
 */
export async function provision(stacks: readonly StackTemplate[], clients: LocalClients, options: ProvisionOptions) {
  const resources = new ResourceMap();
  const resolver = new Resolver(stacks, (stackName, logicalId) => resources.get(stackName, logicalId));

  // Names first: everything but queues is known before creation, and queues resolve in
  // dependency order below (a DLQ before the queue whose redrive policy names it).
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (resource.Type === 'AWS::SQS::Queue') continue;
      resources.set(stack.stackName, logicalId, placeholder(stack, logicalId, resource.Type, options.apiUrl));
    }
  }

  for (const { stack, logicalId, properties } of resourcesOfType(
    stacks,
    'AWS::DynamoDB::Table',
    'AWS::DynamoDB::GlobalTable',
  )) {
    const name = resources.get(stack.stackName, logicalId)!.ref;
    await createTable(clients, name, resolver.resolve(stack, properties) as TableProperties);
    options.log?.(`table  ${name}`);
  }

  for (const { stack, logicalId } of resourcesOfType(stacks, 'AWS::S3::Bucket')) {
    const name = resources.get(stack.stackName, logicalId)!.ref;
    await createBucket(clients, name);
    options.log?.(`bucket ${name}`);
  }

  const queues = resourcesOfType(stacks, 'AWS::SQS::Queue');
  const pending = new Set(queues);
  while (pending.size > 0) {
    let progressed = false;
    for (const queue of pending) {
      let properties: Record<string, unknown>;
      try {
        properties = resolver.resolve(queue.stack, queue.properties) as Record<string, unknown>;
      } catch {
        continue; // names a queue not created yet
      }
      const name = localName(queue.stack.stackName, queue.logicalId, 75) + (properties.FifoQueue ? '.fifo' : '');
      const { url, arn } = await createQueue(clients, name, properties);
      resources.set(queue.stack.stackName, queue.logicalId, {
        ref: url,
        attributes: { Arn: arn, QueueName: name, QueueUrl: url },
      });
      options.log?.(`queue  ${name}`);
      pending.delete(queue);
      progressed = true;
    }
    if (!progressed)
      throw new Error(
        `cannot create queues: ${[...pending].map((q) => q.logicalId).join(', ')} reference something unknown`,
      );
  }
  return { resources, resolver };
}

function placeholder(stack: StackTemplate, logicalId: string, type: string, apiUrl: string): PhysicalResource {
  const partition = partitionOf(stack.region);
  const arn = (service: string, resource: string) =>
    `arn:${partition}:${service}:${stack.region}:${ACCOUNT_ID}:${resource}`;
  const name = localName(stack.stackName, logicalId, 64);
  switch (type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable': {
      const table = localName(stack.stackName, logicalId, 255);
      return {
        ref: table,
        attributes: {
          Arn: arn('dynamodb', `table/${table}`),
          StreamArn: arn('dynamodb', `table/${table}/stream/local`),
        },
      };
    }
    case 'AWS::S3::Bucket': {
      const bucket = bucketName(stack.stackName, logicalId);
      return {
        ref: bucket,
        attributes: {
          Arn: `arn:${partition}:s3:::${bucket}`,
          DomainName: `${bucket}.s3.amazonaws.com`,
          RegionalDomainName: `${bucket}.s3.${stack.region}.amazonaws.com`,
        },
      };
    }
    case 'AWS::Lambda::Function':
      return { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
    case 'AWS::ApiGatewayV2::Api':
      return { ref: 'local', attributes: { ApiEndpoint: apiUrl, ApiId: 'local' } };
    case 'AWS::IAM::Role':
      return { ref: name, attributes: { Arn: `arn:${partition}:iam::${ACCOUNT_ID}:role/${name}`, RoleId: name } };
    case 'AWS::Logs::LogGroup':
      return { ref: `/aws/local/${name}`, attributes: { Arn: arn('logs', `log-group:/aws/local/${name}:*`) } };
    default:
      return {
        ref: name,
        attributes: new Proxy({}, { get: (_t, attribute) => arn('local', `${logicalId}/${String(attribute)}`) }),
      };
  }
}

interface TableProperties {
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: AttributeDefinition[];
  GlobalSecondaryIndexes?: (GlobalSecondaryIndex & Record<string, unknown>)[];
  LocalSecondaryIndexes?: LocalSecondaryIndex[];
  TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
  StreamSpecification?: { StreamViewType?: string };
}

async function createTable(clients: LocalClients, name: string, properties: TableProperties) {
  const input: CreateTableCommandInput = {
    TableName: name,
    KeySchema: properties.KeySchema,
    AttributeDefinitions: properties.AttributeDefinitions,
    BillingMode: 'PAY_PER_REQUEST',
    ...(properties.GlobalSecondaryIndexes?.length
      ? {
          GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes.map((index) => ({
            IndexName: index.IndexName,
            KeySchema: index.KeySchema,
            Projection: index.Projection,
          })),
        }
      : {}),
    ...(properties.LocalSecondaryIndexes?.length ? { LocalSecondaryIndexes: properties.LocalSecondaryIndexes } : {}),
    ...(properties.StreamSpecification?.StreamViewType
      ? {
          StreamSpecification: {
            StreamEnabled: true,
            StreamViewType: properties.StreamSpecification.StreamViewType as 'NEW_AND_OLD_IMAGES',
          },
        }
      : {}),
  };
  try {
    await clients.dynamodb.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    return; // kept from an earlier run, with its data
  }
  const ttl = properties.TimeToLiveSpecification;
  if (ttl?.Enabled && ttl.AttributeName) {
    await clients.dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
      }),
    );
  }
  await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }));
}

async function createBucket(clients: LocalClients, name: string) {
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: name }));
  } catch {
    await clients.s3.send(new CreateBucketCommand({ Bucket: name }));
  }
}

/** CloudFormation queue properties that are SQS attributes the emulators understand. */
const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'FifoQueue',
  'ContentBasedDeduplication',
] as const;

async function createQueue(clients: LocalClients, name: string, properties: Record<string, unknown>) {
  const attributes: Record<string, string> = {};
  for (const key of QUEUE_ATTRIBUTES) if (properties[key] !== undefined) attributes[key] = String(properties[key]);
  if (properties.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(properties.RedrivePolicy);
  let url: string | undefined;
  try {
    url = (await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
  } catch (error) {
    // Exists with other attributes (a LocalStack kept from an earlier run): bring it up to date.
    if ((error as Error).name !== 'QueueAlreadyExists' && (error as Error).name !== 'QueueNameExists') throw error;
    url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    const { FifoQueue: _fifo, ...mutable } = attributes;
    await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: mutable }));
  }
  if (!url) throw new Error(`no URL for queue ${name}`);
  const described = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: described.Attributes?.QueueArn ?? '' };
}
