import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { configSchema as healthConfigSchema } from '../../functions/health/config.ts';
import { configSchema as identityConfigSchema, passwordCostOf } from '../../functions/identity/config.ts';
import { IDENTITY_ENV } from '../../functions/identity/env.ts';
import { SCRYPT_COST } from '../../functions/identity/passwords.ts';
import { ConfigError, ENV, loadConfig, required } from '../../shared/config.ts';

const schema = z.object({ [ENV.version]: required(), [ENV.stage]: z.enum(['dev', 'prod', 'test']) });

describe('loadConfig', () => {
  it('returns the parsed values and the region from AWS_REGION', () => {
    const config = loadConfig(schema, {
      DGOV_VERSION: '1.2.3',
      DGOV_STAGE: 'dev',
      AWS_REGION: 'cn-north-1',
      UNRELATED: 'x',
    });
    expect(config.DGOV_VERSION).toBe('1.2.3');
    expect(config.DGOV_STAGE).toBe('dev');
    expect(config.region).toBe('cn-north-1');
    expect(config).not.toHaveProperty('UNRELATED');
  });

  it('throws a ConfigError naming a missing variable', () => {
    const load = () => loadConfig(schema, { DGOV_STAGE: 'dev', AWS_REGION: 'cn-north-1' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/DGOV_VERSION/);
  });

  it('names every missing or malformed variable, including AWS_REGION', () => {
    let error: unknown;
    try {
      loadConfig(schema, { DGOV_STAGE: 'staging' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['DGOV_VERSION', 'DGOV_STAGE', 'AWS_REGION']) expect(message).toContain(name);
    expect((error as Error).name).toBe('ConfigError');
  });

  it('treats an empty required variable as missing', () => {
    expect(() => loadConfig(schema, { DGOV_VERSION: '', DGOV_STAGE: 'dev', AWS_REGION: 'cn-north-1' })).toThrow(
      /DGOV_VERSION/,
    );
    expect(() => loadConfig(schema, { DGOV_VERSION: '1', DGOV_STAGE: 'dev', AWS_REGION: '' })).toThrow(/AWS_REGION/);
  });

  it("checks the health function's variables, including a URL", () => {
    const env = {
      AWS_REGION: 'cn-north-1',
      DGOV_VERSION: '1.2.3',
      DGOV_CONTROL_TABLE: 'control',
      DGOV_AUDIT_BUCKET: 'audit',
      DGOV_AUDIT_QUEUE_URL: 'http://localhost:4566/000000000000/audit',
    };
    expect(loadConfig(healthConfigSchema, env).DGOV_AUDIT_QUEUE_URL).toBe(env.DGOV_AUDIT_QUEUE_URL);
    expect(() => loadConfig(healthConfigSchema, { ...env, DGOV_AUDIT_QUEUE_URL: 'not a url' })).toThrow(
      /DGOV_AUDIT_QUEUE_URL/,
    );
  });
});

describe("identity's password cost", () => {
  const base = {
    AWS_REGION: 'cn-north-1',
    DGOV_IDENTITY_TABLE: 'identity',
    DGOV_CONTROL_TABLE: 'control',
    DGOV_AUDIT_QUEUE_URL: 'http://127.0.0.1:1/000000000000/audit',
    DGOV_TOKEN_KEYS: 'alias/tokens',
    DGOV_ISSUER: 'http://127.0.0.1:3000',
  };
  const costOf = (env: Record<string, string>) =>
    passwordCostOf(loadConfig(identityConfigSchema, env)[IDENTITY_ENV.passwordScryptN]);

  it('is SCRYPT_COST (the use cases default) when DGOV_PASSWORD_SCRYPT_N is unset, as deployed', () => {
    expect(costOf(base)).toBeUndefined();
    expect(SCRYPT_COST.N).toBe(2 ** 17);
  });

  it('takes a power of two from 2^10 to 2^17 for N, keeping r and p', () => {
    expect(costOf({ ...base, [IDENTITY_ENV.passwordScryptN]: '1024' })).toEqual({ N: 1024, r: 8, p: 1 });
    expect(costOf({ ...base, [IDENTITY_ENV.passwordScryptN]: String(2 ** 17) })).toEqual(SCRYPT_COST);
  });

  it('refuses anything else at load, naming the variable', () => {
    for (const value of ['1000', '512', String(2 ** 18), '', 'x'])
      expect(() => costOf({ ...base, [IDENTITY_ENV.passwordScryptN]: value }), value).toThrow(/DGOV_PASSWORD_SCRYPT_N/);
  });
});
