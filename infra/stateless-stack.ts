import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FunctionManifest } from '../shared/capability.ts';
import { ENV } from '../shared/env-names.ts';
import type { BaseStack } from './base-stack.ts';
import { type CapabilityInfra, type CodeContext, pascalCase } from './capabilities/capability.ts';
import { DgovFunction, type DgovFunctionProps } from './constructs/dgov-function.ts';
import { DgovHttpApi } from './http-api.ts';
import { Operations } from './operations.ts';
import { regionRole } from './regions.ts';
import type { StageConfig } from './stage.ts';
import type { StatefulStack } from './stateful-stack.ts';

export interface StatelessStackProps extends StackProps {
  config: StageConfig;
  /** The suite's capabilities (infra/capabilities/index.ts). */
  capabilities: readonly CapabilityInfra[];
  version: string;
  data: StatefulStack;
  /** This region's base stack: the operations key for log groups and alarms. */
  base: BaseStack;
}

/** Code: each capability's functions, the HTTP API and the alarms. Safe to destroy and redeploy at any time. */
export class StatelessStack extends Stack {
  /** Every function, by its service name. */
  readonly functions: Record<string, DgovFunction> = {};
  readonly http: DgovHttpApi;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.http = new DgovHttpApi(this, 'Http', config.domain);
    const context: CodeContext = {
      config,
      http: this.http,
      data: props.data.data,
      addFunction: (where, manifest, extra) => this.addFunction(where, manifest, props, extra),
    };
    for (const capability of props.capabilities) capability.code(this, context);

    // Throttling and access logs on the API, alarms, latency DNS, outputs (infra/operations.ts).
    new Operations(this, 'Operations', {
      config,
      role: regionRole(config, this.region),
      api: this.http.api,
      opsKey: props.base.opsKey,
      data: props.data,
      functions: Object.values(this.functions),
    });
  }

  private addFunction(
    scope: Construct,
    manifest: FunctionManifest,
    props: StatelessStackProps,
    extra: Partial<DgovFunctionProps> = {},
  ): DgovFunction {
    if (this.functions[manifest.service]) throw new Error(`two functions named ${manifest.service}`);
    // Service `orders-api` in construct `Orders` is `Orders/Api`; a service named like its construct is `<Construct>/Handler`.
    const prefix = `${scope.node.id}`;
    const id = pascalCase(manifest.service).replace(new RegExp(`^${prefix}`), '') || 'Handler';
    const fn = new DgovFunction(scope, id, {
      serviceName: manifest.service,
      kind: manifest.kind,
      publishesSlaBreaches: manifest.publishesSlaBreaches,
      entry: manifest.entry,
      description: manifest.description,
      stage: props.config.stage,
      version: props.version,
      logRetentionDays: props.config.logRetentionDays,
      removalPolicy: props.config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      logEncryptionKey: props.base.opsKey,
      ...extra,
    });
    this.functions[manifest.service] = fn;
    if (manifest.routes) this.http.addRoutes(fn, manifest.routes);
    // Every JWT route reads the token deny-list (shared/auth/revoked-tokens.ts): no route has to remember;
    // every HTTP function reads the registered origins it answers CORS for (shared/cors.ts).
    if (manifest.routes?.length || manifest.servesDefaultRoute) {
      fn.useTable(ENV.controlTable, props.data.control.table, 'read');
    }
    if (manifest.servesDefaultRoute) this.http.setDefaultRoute(fn);
    return fn;
  }
}
