import { App } from 'aws-cdk-lib';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { stageConfig } from '../../infra/stage.ts';
import { scratchDir } from '../../local/scratch.ts';

const configFor = (context: Record<string, unknown>) => stageConfig(new App({ context }));

describe('stage config from CDK context', () => {
  it('defaults to dev in cn-north-1 with a cn-northwest-1 replica and 30-day logs', () => {
    expect(configFor({})).toMatchObject({
      stage: 'dev',
      primaryRegion: 'cn-north-1',
      replicaRegion: 'cn-northwest-1',
      logRetentionDays: 30,
      retainData: false,
    });
  });

  it('keeps data and logs longer in prod', () => {
    expect(configFor({ stage: 'prod' })).toMatchObject({ stage: 'prod', retainData: true, logRetentionDays: 365 });
  });

  it('takes both regions from context', () => {
    expect(configFor({ stage: 'prod', primaryRegion: 'eu-west-1', replicaRegion: 'eu-central-1' })).toMatchObject({
      primaryRegion: 'eu-west-1',
      replicaRegion: 'eu-central-1',
    });
  });

  it('treats an empty region as unset', () => {
    expect(configFor({ primaryRegion: '', replicaRegion: '' })).toMatchObject({
      primaryRegion: 'cn-north-1',
      replicaRegion: 'cn-northwest-1',
    });
  });

  it('rejects an unknown stage, naming it and the accepted ones', () => {
    expect(() => configFor({ stage: 'staging' })).toThrow(/unknown stage "staging".*stage=dev.*stage=prod/);
  });

  it('rejects a replica region equal to the primary region', () => {
    expect(() => configFor({ primaryRegion: 'eu-west-1', replicaRegion: 'eu-west-1' })).toThrow(
      'primaryRegion and replicaRegion must differ',
    );
  });

  it('rejects a primary region that collides with the default replica region', () => {
    expect(() => configFor({ primaryRegion: 'cn-northwest-1' })).toThrow(/must differ/);
  });
});

describe('buildApp with a bad stage config', () => {
  const dirs: string[] = [];
  const attempt = (context: Record<string, unknown>) => () => {
    const outdir = scratchDir('infra-bad-stage');
    dirs.push(outdir);
    return buildApp({ outdir, context, builtinCloudFormationValidation: false });
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('throws a clear error for an unknown stage before building any stack', () => {
    expect(attempt({ stage: 'qa' })).toThrow('unknown stage "qa": use -c stage=dev or -c stage=prod');
  });

  it('throws when primaryRegion and replicaRegion are the same', () => {
    expect(attempt({ stage: 'prod', primaryRegion: 'eu-west-1', replicaRegion: 'eu-west-1' })).toThrow(
      'primaryRegion and replicaRegion must differ',
    );
  });
});
