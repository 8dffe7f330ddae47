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
  /** The Route 53 hosted zone of `domain` (required with it) and its name (default: the domain's parent). */
  hostedZoneId?: string;
  hostedZoneName?: string;
  /** Alarm notifications are e-mailed here (each region's alarm topic); unset: subscribe yourself. */
  alarmEmail?: string;
  logRetentionDays: number;
  /** prod keeps data when a stack is deleted and refuses to delete tables. */
  retainData: boolean;
  /** Object Lock (compliance mode) retention of audit objects. */
  auditRetentionDays: number;
  /** Length of an audit digest period. */
  auditPeriodMinutes: number;
  /** `file:/path.pem` makes the app sign audit digests with a key file (the embedded runtime); unset means a KMS key. */
  auditKeyFile?: string;
  /** Login attempts one source address may make per minute before 429. */
  loginAttemptsPerMinute: number;
  /** Token signing keys as `file:/a.pem[,file:/b.pem]` (the embedded runtime; the first signs); unset means a KMS key. */
  tokenKeyFiles?: string;
}

const DEFAULTS: Record<StageName, Omit<StageConfig, 'stage'>> = {
  dev: {
    primaryRegion: 'cn-north-1',
    replicaRegion: 'cn-northwest-1',
    logRetentionDays: 30,
    retainData: false,
    auditRetentionDays: 180,
    auditPeriodMinutes: 60,
    loginAttemptsPerMinute: 20,
  },
  prod: {
    primaryRegion: 'cn-north-1',
    replicaRegion: 'cn-northwest-1',
    logRetentionDays: 365,
    retainData: true,
    auditRetentionDays: 180,
    auditPeriodMinutes: 60,
    loginAttemptsPerMinute: 20,
  },
};

export function stageConfig(app: App): StageConfig {
  const stage = String(app.node.tryGetContext('stage') ?? 'dev');
  if (stage !== 'dev' && stage !== 'prod')
    throw new Error(`unknown stage "${stage}": use -c stage=dev or -c stage=prod`);
  const context = (key: string): string | undefined => {
    const value = app.node.tryGetContext(key);
    return value === undefined || value === '' ? undefined : String(value);
  };
  const defaults = DEFAULTS[stage];
  const primaryRegion = context('primaryRegion') ?? defaults.primaryRegion;
  const replicaRegion = context('replicaRegion') ?? defaults.replicaRegion;
  if (primaryRegion === replicaRegion) throw new Error('primaryRegion and replicaRegion must differ');
  const positive = (key: string, fallback: number): number => {
    const value = context(key);
    if (value === undefined) return fallback;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1)
      throw new Error(`${key} must be a positive whole number, got "${value}"`);
    return number;
  };
  const auditKeyFile = context('auditKey');
  if (auditKeyFile !== undefined && !auditKeyFile.startsWith('file:'))
    throw new Error('auditKey must be file:/path/to/key.pem (leave it unset for a KMS key)');
  const tokenKeyFiles = context('tokenKeys');
  if (
    tokenKeyFiles !== undefined &&
    !tokenKeyFiles.split(',').every((reference) => reference.trim().startsWith('file:'))
  ) {
    throw new Error('tokenKeys must be file:/path/key.pem[,file:/path/old.pem] (leave it unset for a KMS key)');
  }
  return {
    ...defaults,
    auditRetentionDays: positive('auditRetentionDays', defaults.auditRetentionDays),
    auditPeriodMinutes: positive('auditPeriodMinutes', defaults.auditPeriodMinutes),
    loginAttemptsPerMinute: positive('loginAttemptsPerMinute', defaults.loginAttemptsPerMinute),
    auditKeyFile,
    tokenKeyFiles,
    stage,
    primaryRegion,
    replicaRegion,
    account: context('account') ?? process.env.CDK_DEFAULT_ACCOUNT,
    domain: context('domain'),
    ...dnsConfig(context),
    alarmEmail: context('alarmEmail'),
  };
}

/** `-c domain=api.example.gov.cn -c hostedZoneId=Z… [-c hostedZoneName=example.gov.cn]`: all or nothing. */
function dnsConfig(context: (key: string) => string | undefined): Pick<StageConfig, 'hostedZoneId' | 'hostedZoneName'> {
  const domain = context('domain');
  const hostedZoneId = context('hostedZoneId');
  if (!domain) {
    if (hostedZoneId) throw new Error('hostedZoneId is set but domain is not: pass -c domain=<name> too');
    return {};
  }
  if (!hostedZoneId)
    throw new Error(`domain ${domain} needs the Route 53 hosted zone that holds it: -c hostedZoneId=Z…`);
  return { hostedZoneId, hostedZoneName: context('hostedZoneName') ?? domain.slice(domain.indexOf('.') + 1) };
}
