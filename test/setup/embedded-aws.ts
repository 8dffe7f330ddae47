import type { TestProject } from 'vitest/node';
import { startEmbeddedAws, type AwsEndpoints } from '../../local/embedded-aws.ts';
import { freePort } from '../../local/ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    aws: AwsEndpoints;
  }
}

/** One embedded AWS (in memory) for the whole integration project. */
export default async function setup(project: TestProject) {
  const aws = await startEmbeddedAws({
    dynamodbPort: await freePort(),
    servicesPort: await freePort(),
    region: 'cn-north-1',
  });
  project.provide('aws', aws.endpoints);
  return () => aws.stop();
}
