import type { App } from 'aws-cdk-lib';

export type StageName = 'dev' | 'prod';

/** Everything that differs between stages, typed, read once from CDK context (`-c stage=prod`). */
export interface StageConfig {
  stage: StageName;
  /** Undefined means the CLI's default account (or none at all, for an offline synth). */
  account?: string;
  primaryRegion: string;
  replicaRegion: string;
  domain?: string;
  logRetentionDays: number;
  /** prod keeps data when a stack is deleted and refuses to delete tables. */
  retainData: boolean;
}

const DEFAULTS: Record<StageName, Omit<StageConfig, 'stage'>> = {
  dev: { primaryRegion: 'cn-north-1', replicaRegion: 'cn-northwest-1', logRetentionDays: 30, retainData: false },
  prod: { primaryRegion: 'cn-north-1', replicaRegion: 'cn-northwest-1', logRetentionDays: 365, retainData: true },
};

export function stageConfig(app: App): StageConfig {
  const stage = String(app.node.tryGetContext('stage') ?? 'dev');
  if (stage !== 'dev' && stage !== 'prod') throw new Error(`unknown stage "${stage}": use -c stage=dev or -c stage=prod`);
  const context = (key: string): string | undefined => {
    const value = app.node.tryGetContext(key);
    return value === undefined || value === '' ? undefined : String(value);
  };
  const defaults = DEFAULTS[stage];
  const primaryRegion = context('primaryRegion') ?? defaults.primaryRegion;
  const replicaRegion = context('replicaRegion') ?? defaults.replicaRegion;
  if (primaryRegion === replicaRegion) throw new Error('primaryRegion and replicaRegion must differ');
  return {
    ...defaults,
    stage,
    primaryRegion,
    replicaRegion,
    account: context('account') ?? process.env.CDK_DEFAULT_ACCOUNT,
    domain: context('domain'),
  };
}
