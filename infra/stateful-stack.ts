import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type CapabilityInfra, DataRegistry } from './capabilities/capability.ts';
import { ControlData } from './control-data.ts';
import { regionRole } from './regions.ts';
import type { RegionBase, RegionContext } from './replication.ts';
import type { StageConfig } from './stage.ts';

export interface StatefulStackProps extends StackProps {
  config: StageConfig;
  /** The suite's capabilities (infra/capabilities/index.ts). */
  capabilities: readonly CapabilityInfra[];
  /** This region's base stack: data key, access logs, DR copies. */
  base: RegionBase;
}

/**
 * Data that must outlive any deployment: each capability's tables, buckets, keys and queues.
 * Kept apart from the functions so that redeploying code can never replace a table. Tables are
 * global (declared in the primary region, replicated to the other) and keys multi-Region:
 * see infra/replication.ts and infra/keys.ts.
 */
export class StatefulStack extends Stack {
  /** Which region this is, and its base stack. */
  readonly regionContext: RegionContext;
  /** Each capability's data construct, and the control table, by class: `data.get(SomeData).table`. */
  readonly data = new DataRegistry();
  /** Idempotency, rate limits and the token deny-list, which every function may use. */
  readonly control: ControlData;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.regionContext = { config, role: regionRole(config, this.region), base: props.base };
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.control = new ControlData(this, 'Control', { ...this.regionContext, removalPolicy });
    this.data.add(this.control);
    for (const capability of props.capabilities) {
      const data = capability.data?.(this, { ...this.regionContext, removalPolicy });
      if (data) this.data.add(data);
    }
  }
}
