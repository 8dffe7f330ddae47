import { Template } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { rmSync } from 'node:fs';
import { buildApp, type DgovApp, type RegionStacks } from '../../infra/app.ts';
import type { CapabilityInfra } from '../../infra/capabilities/capability.ts';
import { scratchDir } from '../../local/scratch.ts';

/**
 * Helpers for the infra suite: synthesize the real app in-process, then read its templates
 * as plain CloudFormation, the way a deployment (or `npm start`) would see them.
 */

export type Json = Record<string, unknown>;

export interface CfnResource {
  Type: string;
  Properties?: Json;
  Metadata?: Json;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/** One region's three stacks, as constructs and as templates. */
export interface SynthesizedRegion extends RegionStacks {
  baseTemplate: Template;
  statefulTemplate: Template;
  statelessTemplate: Template;
  base$: CfnTemplate;
  stateful$: CfnTemplate;
  stateless$: CfnTemplate;
}

export interface Synthesized extends Omit<DgovApp, 'regions'> {
  assembly: CloudAssembly;
  outdir: string;
  /** The primary region's templates (what `npm start` runs). */
  baseTemplate: Template;
  statefulTemplate: Template;
  statelessTemplate: Template;
  /** The same templates as plain JSON. */
  base$: CfnTemplate;
  stateful$: CfnTemplate;
  stateless$: CfnTemplate;
  /** Both regions, primary first. */
  regions: SynthesizedRegion[];
  /** Removes the scratch cloud assembly. */
  dispose(): void;
}

/**
 * The default app, synthesized once per test worker: most files assert on the same app, and the
 * infra project runs its files in shared workers (vitest.config.ts, `isolate: false`), so they share it.
 * Its scratch directory goes when the worker exits, not when a file says dispose.
 */
let sharedDefault: Synthesized | undefined;

/** Synthesizes the default app (no extra context, every capability, no bundles) or returns it if it was. */
export function synthesizeDefault(): Synthesized {
  if (!sharedDefault) {
    const synth = synthesizeApp();
    process.once('exit', () => synth.dispose());
    sharedDefault = { ...synth, dispose: () => {} };
  }
  return sharedDefault;
}

/**
 * Synthesizes the whole app once into a scratch dir under .local/tmp. Bundling every function in
 * both regions dominates a synth and only the bundle checks read the bundles, so the others skip it
 * (CDK's `aws:cdk:bundling-stacks` context, as `cdk synth --exclusively` does).
 */
export function synthesize(
  context: Json = {},
  capabilities?: readonly CapabilityInfra[],
  options: { bundle?: boolean } = {},
): Synthesized {
  const isDefault = Object.keys(context).length === 0 && !capabilities && !options.bundle;
  return isDefault ? synthesizeDefault() : synthesizeApp(context, capabilities, options);
}

/**
 * CloudFormation's template validation (a WebAssembly engine) costs seconds of CPU per process: it runs
 * once, in test/infra/validation.test.ts, not in each infra worker's default app nor in its variants.
 */
function synthesizeApp(
  context: Json = {},
  capabilities?: readonly CapabilityInfra[],
  { bundle = false }: { bundle?: boolean } = {},
): Synthesized {
  const outdir = scratchDir('infra');
  const bundling = { 'aws:cdk:bundling-stacks': bundle ? ['**'] : [] };
  const built = buildApp(
    {
      outdir,
      context: { 'aws:cdk:enable-asset-metadata': true, ...bundling, ...context },
      builtinCloudFormationValidation: false,
    },
    capabilities,
  );
  const assembly = built.app.synth();
  const regions = built.regions.map((region) => {
    const [baseTemplate, statefulTemplate, statelessTemplate] = [region.base, region.stateful, region.stateless].map(
      (stack) => Template.fromStack(stack),
    ) as [Template, Template, Template];
    return {
      ...region,
      baseTemplate,
      statefulTemplate,
      statelessTemplate,
      base$: baseTemplate.toJSON() as CfnTemplate,
      stateful$: statefulTemplate.toJSON() as CfnTemplate,
      stateless$: statelessTemplate.toJSON() as CfnTemplate,
    };
  });
  const primary = regions[0]!;
  return {
    ...built,
    regions,
    assembly,
    outdir,
    baseTemplate: primary.baseTemplate,
    statefulTemplate: primary.statefulTemplate,
    statelessTemplate: primary.statelessTemplate,
    base$: primary.base$,
    stateful$: primary.stateful$,
    stateless$: primary.stateless$,
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

export const logicalId = (element: {
  node: { defaultChild?: unknown };
  stack: { getLogicalId(e: CfnElement): string };
}): string => element.stack.getLogicalId(element.node.defaultChild as CfnElement);

export const resourcesOfType = (template: CfnTemplate, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

export const isIntrinsic = (value: unknown): value is Json =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.keys(value).length === 1 &&
  /^(Ref|Fn::)/.test(Object.keys(value)[0]!);

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** A function this project made: a bundled NodejsFunction (it carries `aws:asset:path`), not a CDK helper. */
export interface OurFunction {
  logicalId: string;
  resource: CfnResource;
  props: Json;
  service: string;
  handler: string;
  /** The export the Lambda runtime calls: `handler` in `index.handler`. */
  exportName: string;
  assetPath: string;
  timeout: number;
  variables: Record<string, unknown>;
}

export function ourFunctions(template: CfnTemplate): OurFunction[] {
  return resourcesOfType(template, 'AWS::Lambda::Function')
    .filter(([, resource]) => typeof resource.Metadata?.['aws:asset:path'] === 'string')
    .map(([id, resource]) => {
      const props = resource.Properties ?? {};
      const variables = ((props.Environment as Json | undefined)?.Variables ?? {}) as Record<string, unknown>;
      const handler = String(props.Handler);
      return {
        logicalId: id,
        resource,
        props,
        service: String(variables.POWERTOOLS_SERVICE_NAME),
        handler,
        exportName: handler.slice(handler.indexOf('.') + 1),
        assetPath: String(resource.Metadata!['aws:asset:path']),
        timeout: Number(props.Timeout),
        variables,
      };
    });
}

export const QUEUE_URL_PLACEHOLDER = 'https://sqs.cn-north-1.amazonaws.com.cn/000000000000/q';
export const API_ENDPOINT_PLACEHOLDER = 'https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn';

/**
 * A function's environment as its code would see it once deployed: literal values kept,
 * values CloudFormation resolves at deploy time (imports, refs, attributes) replaced by
 * plausible stand-ins, plus what the Lambda runtime itself provides.
 */
export function deployedEnv(variables: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    env[name] =
      typeof value === 'string'
        ? value
        : JSON.stringify(value).includes('ApiEndpoint')
          ? API_ENDPOINT_PLACEHOLDER
          : name.endsWith('_URL')
            ? QUEUE_URL_PLACEHOLDER
            : 'placeholder';
  }
  return { ...env, AWS_REGION: 'cn-north-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
}

/** Follows an `Fn::ImportValue` to the value an exporting stack (the stateful or base stack of the same region) exports. */
export function followImport(value: unknown, exporter: CfnTemplate | CfnTemplate[]): unknown {
  if (!isIntrinsic(value) || !('Fn::ImportValue' in value)) return value;
  const name = value['Fn::ImportValue'];
  const output = asArray(exporter)
    .flatMap((template) => Object.values(template.Outputs ?? {}))
    .find((candidate) => candidate.Export?.Name === name);
  if (!output) throw new Error(`no output of the exporting stacks exports ${JSON.stringify(name)}`);
  return output.Value;
}

/** Replaces every `Fn::ImportValue` inside `value` by what its exporter exports. */
export function followImports(value: unknown, exporters: CfnTemplate[]): unknown {
  if (Array.isArray(value)) return value.map((item) => followImports(item, exporters));
  if (isIntrinsic(value) && 'Fn::ImportValue' in value) return followImports(followImport(value, exporters), exporters);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, followImports(item, exporters)]));
  return value;
}

export interface PolicyStatement {
  Effect: string;
  Action: string[];
  Resource: unknown[];
  Condition?: Json;
}

/** Every statement of every inline policy attached to the function's execution role. */
export function rolePolicyStatements(template: CfnTemplate, fn: OurFunction): PolicyStatement[] {
  const role = fn.props.Role as { 'Fn::GetAtt': [string, string] };
  const roleId = role['Fn::GetAtt'][0];
  return resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => asArray(policy.Properties?.Roles as unknown[]).some((ref) => (ref as Json).Ref === roleId))
    .flatMap(([, policy]) => (policy.Properties!.PolicyDocument as { Statement: Json[] }).Statement)
    .map((statement) => ({
      Effect: String(statement.Effect),
      Action: asArray(statement.Action as string | string[]),
      Resource: asArray(statement.Resource),
      ...(statement.Condition ? { Condition: statement.Condition as Json } : {}),
    }));
}

export const getAttArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
