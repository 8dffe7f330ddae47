// `npm run localstack:deploy` / `npm run localstack:destroy`: both regions of the app on a running
// LocalStack, through cdklocal (aws-cdk-local). README, "LocalStack".
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../infra/project-root.ts';

const action = process.argv[2];
if (action !== 'deploy' && action !== 'destroy') {
  console.error('usage: tsx scripts/localstack.ts deploy|destroy');
  process.exit(2);
}

const endpoint = (process.env.AWS_ENDPOINT_URL || 'http://localhost:4566').replace(/\/$/, '');
// cn-north-1 and cn-northwest-1 are LocalStack Enterprise only: the default pair here is one every edition has.
const [primaryRegion, replicaRegion] = (process.env.DGOV_LOCALSTACK_REGIONS || 'us-east-1,us-west-2')
  .split(',')
  .map((region) => region.trim());
const stage = process.env.DGOV_STAGE || 'dev';
const account = process.env.DGOV_LOCALSTACK_ACCOUNT || '000000000000';
const outputsFile = process.env.DGOV_OUTPUTS_FILE || join(PROJECT_ROOT, '.local', 'localstack-outputs.json');

async function reachable(): Promise<string | undefined> {
  try {
    const response = await fetch(`${endpoint}/_localstack/health`, { signal: AbortSignal.timeout(3_000) });
    if (!response.ok) return `answered ${response.status}`;
    const health = (await response.json()) as { edition?: string; version?: string };
    console.log(
      `[localstack] ${endpoint}: LocalStack ${health.version ?? '?'} (${health.edition ?? 'unknown edition'})`,
    );
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const problem = await reachable();
if (problem) {
  console.error(
    [
      `[localstack] no LocalStack answers at ${endpoint}/_localstack/health (${problem}); nothing was deployed.`,
      '  Start it first: LOCALSTACK_AUTH_TOKEN=… docker compose -f docker-compose.localstack.yml up -d',
      '  (or point AWS_ENDPOINT_URL at a running one), then run this again.',
    ].join('\n'),
  );
  process.exit(2);
}
if (!primaryRegion || !replicaRegion || primaryRegion === replicaRegion) {
  console.error('[localstack] DGOV_LOCALSTACK_REGIONS must name two different regions, e.g. us-east-1,us-west-2');
  process.exit(2);
}

const context = [
  '-c',
  `stage=${stage}`,
  '-c',
  `primaryRegion=${primaryRegion}`,
  '-c',
  `replicaRegion=${replicaRegion}`,
  '-c',
  `account=${account}`,
];
const env: NodeJS.ProcessEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID || 'test',
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY || 'test',
};
if (process.env.AWS_ENDPOINT_URL && !process.env.AWS_ENDPOINT_URL_S3) {
  // cdklocal needs an S3 URL with an `.s3.` component beside a custom endpoint.
  const url = new URL(endpoint);
  if (['localhost', '127.0.0.1'].includes(url.hostname))
    env.AWS_ENDPOINT_URL_S3 = `${url.protocol}//s3.localhost.localstack.cloud:${url.port || '4566'}`;
}

const cdklocal = (...args: string[]) => {
  console.log(`[localstack] cdklocal ${args.join(' ')}`);
  const result = spawnSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'cdklocal'), args, {
    cwd: PROJECT_ROOT,
    env,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error(`[localstack] cdklocal ${args[0]} failed (${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
};

if (action === 'deploy') {
  // Both regions need the CDK bootstrap stack (assets bucket, roles) before anything deploys there.
  cdklocal('bootstrap', `aws://${account}/${primaryRegion}`, `aws://${account}/${replicaRegion}`, ...context);
  mkdirSync(dirname(outputsFile), { recursive: true });
  // --all follows the declared order: base (primary, replica), stateful (primary, replica), stateless.
  cdklocal('deploy', '--all', '--require-approval', 'never', '--outputs-file', outputsFile, ...context);
  console.log(
    `[localstack] outputs (each region's ApiUrl) in ${outputsFile}; run the journeys: DGOV_TARGET=localstack npm run test:e2e`,
  );
} else {
  cdklocal('destroy', '--all', '--force', ...context);
}
