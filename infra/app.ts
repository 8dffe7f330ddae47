import { App, type AppProps } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { PROJECT_ROOT } from './constructs/dgov-function.ts';
import { stageConfig, type StageConfig } from './stage.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

const version = (JSON.parse(readFileSync(`${PROJECT_ROOT}package.json`, 'utf8')) as { version: string }).version;

export interface DgovApp {
  app: App;
  config: StageConfig;
  stateful: StatefulStack;
  stateless: StatelessStack;
}

/** Builds the whole app; `npm start`, the tests and `cdk synth` all go through here. */
export function buildApp(props: AppProps = {}): DgovApp {
  const app = new App(props);
  const config = stageConfig(app);
  const env = { account: config.account, region: config.primaryRegion };
  const prefix = `dgov-${config.stage}`;
  const stateful = new StatefulStack(app, `${prefix}-stateful`, { env, config, description: 'dgov data: tables, buckets, queues' });
  const stateless = new StatelessStack(app, `${prefix}-stateless`, {
    env,
    config,
    version,
    data: stateful,
    description: 'dgov code: functions and the HTTP API',
  });
  stateless.addStackDependency(stateful);
  return { app, config, stateful, stateless };
}

// Run as the CDK app (cdk.json) rather than imported by a test or the local runtime.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  buildApp().app.synth();
}
