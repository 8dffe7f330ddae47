/**
 * Reading synthesized CloudFormation: the resources `npm start` emulates, and a resolver
 * for the intrinsic functions CDK emits (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::ImportValue, …),
 * so each function gets the values the template really gives it.
 */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, { Default?: unknown }>;
}

export interface StackTemplate {
  stackName: string;
  region: string;
  template: CfnTemplate;
  /** Directory of the cloud assembly, where `aws:asset:path` entries live. */
  assemblyDir: string;
}

/** What a resource resolves to: its Ref value and its attributes. */
export interface PhysicalResource {
  ref: string;
  attributes: Record<string, string>;
}

export const ACCOUNT_ID = '000000000000';
export const partitionOf = (region: string) => (region.startsWith('cn-') ? 'aws-cn' : 'aws');
const urlSuffixOf = (region: string) => (region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com');

export class UnresolvableError extends Error {}

type Lookup = (stackName: string, logicalId: string) => PhysicalResource | undefined;

export class Resolver {
  private exports = new Map<string, unknown>();

  constructor(
    stacks: readonly StackTemplate[],
    private readonly lookup: Lookup,
  ) {
    for (const stack of stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        if (output.Export)
          this.exports.set(String(this.resolve(stack, output.Export.Name)), { stack, value: output.Value });
      }
    }
  }

  /** Resolves a value in the context of `stack`; throws UnresolvableError naming what it could not resolve. */
  resolve(stack: StackTemplate, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(stack, item)).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      if (key === 'Ref') return this.ref(stack, String(arg));
      if (key.startsWith('Fn::') || key === 'Condition') return this.intrinsic(stack, key, arg);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.resolve(stack, item);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  resolveString(stack: StackTemplate, value: unknown): string {
    const resolved = this.resolve(stack, value);
    if (typeof resolved === 'object') throw new UnresolvableError(`expected a string, got ${JSON.stringify(resolved)}`);
    return String(resolved);
  }

  private ref(stack: StackTemplate, name: string): unknown {
    switch (name) {
      case 'AWS::Region':
        return stack.region;
      case 'AWS::AccountId':
        return ACCOUNT_ID;
      case 'AWS::Partition':
        return partitionOf(stack.region);
      case 'AWS::URLSuffix':
        return urlSuffixOf(stack.region);
      case 'AWS::StackName':
        return stack.stackName;
      case 'AWS::StackId':
        return `arn:${partitionOf(stack.region)}:cloudformation:${stack.region}:${ACCOUNT_ID}:stack/${stack.stackName}/local`;
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const parameter = stack.template.Parameters?.[name];
    if (parameter) return parameter.Default;
    const physical = this.lookup(stack.stackName, name);
    if (!physical) throw new UnresolvableError(`Ref ${name} in ${stack.stackName}`);
    return physical.ref;
  }

  private attribute(stack: StackTemplate, logicalId: string, attribute: string): string {
    const physical = this.lookup(stack.stackName, logicalId);
    const value = physical?.attributes[attribute];
    if (value === undefined) throw new UnresolvableError(`Fn::GetAtt ${logicalId}.${attribute} in ${stack.stackName}`);
    return value;
  }

  private intrinsic(stack: StackTemplate, key: string, arg: unknown): unknown {
    const args = Array.isArray(arg) ? arg : [arg];
    switch (key) {
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = typeof arg === 'string' ? splitOnce(arg, '.') : (arg as [string, string]);
        return this.attribute(stack, logicalId, String(this.resolve(stack, attribute)));
      }
      case 'Fn::Join': {
        const [separator, parts] = args as [string, unknown[]];
        return (this.resolve(stack, parts) as unknown[]).map(String).join(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
        const bound = this.resolve(stack, variables) as Record<string, unknown>;
        return text.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
          if (name.startsWith('!')) return `\${${name.slice(1)}}`;
          if (name in bound) return String(bound[name]);
          if (name.includes('.') && !name.startsWith('AWS::')) {
            const [logicalId, attribute] = splitOnce(name, '.');
            return this.attribute(stack, logicalId, attribute);
          }
          return String(this.ref(stack, name));
        });
      }
      case 'Fn::Select': {
        const [index, list] = args as [unknown, unknown];
        return (this.resolve(stack, list) as unknown[])[Number(this.resolve(stack, index))];
      }
      case 'Fn::Split': {
        const [separator, text] = args as [string, unknown];
        return String(this.resolve(stack, text)).split(separator);
      }
      case 'Fn::Base64':
        return Buffer.from(String(this.resolve(stack, arg))).toString('base64');
      case 'Fn::GetAZs':
        return [`${stack.region}a`, `${stack.region}b`];
      case 'Fn::ImportValue': {
        const name = String(this.resolve(stack, arg));
        const exported = this.exports.get(name) as { stack: StackTemplate; value: unknown } | undefined;
        if (!exported) throw new UnresolvableError(`Fn::ImportValue ${name}: no stack exports it`);
        return this.resolve(exported.stack, exported.value);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = args as [string, unknown, unknown];
        return this.resolve(stack, this.condition(stack, condition) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = args.map((item) => this.resolve(stack, item));
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not':
        return !this.truthy(stack, args[0]);
      case 'Fn::And':
        return args.every((item) => this.truthy(stack, item));
      case 'Fn::Or':
        return args.some((item) => this.truthy(stack, item));
      case 'Condition':
        return this.condition(stack, String(arg));
      default:
        throw new UnresolvableError(`${key} is not supported by the local runtime`);
    }
  }

  private truthy(stack: StackTemplate, value: unknown): boolean {
    return Boolean(this.resolve(stack, value));
  }

  condition(stack: StackTemplate, name: string): boolean {
    const definition = stack.template.Conditions?.[name];
    if (definition === undefined) throw new UnresolvableError(`condition ${name} in ${stack.stackName}`);
    return this.truthy(stack, definition);
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** Resources of one type across every stack, in template order. */
export function resourcesOfType(stacks: readonly StackTemplate[], ...types: string[]) {
  return stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources ?? {})
      .filter(([, resource]) => types.includes(resource.Type))
      .map(([logicalId, resource]) => ({ stack, logicalId, resource, properties: resource.Properties ?? {} })),
  );
}

/** A readable name for a resource: its CDK construct path without the trailing /Resource. */
export const constructPath = (resource: CfnResource, logicalId: string): string =>
  String(resource.Metadata?.['aws:cdk:path'] ?? logicalId).replace(/\/(Resource|Fn\/Resource)$/, '');
