import type { Command } from 'commander';
import { localEnvironment } from '../target.ts';

export function register(dgov: Command): void {
  dgov
    .command('env')
    .description('print the resolved environment (API URL, endpoints, physical names)')
    .action((_options, command: Command) => print(command.optsWithGlobals().json === true));
}

function print(json: boolean): void {
  const env = localEnvironment();
  if (json) {
    console.log(JSON.stringify(env, null, 2));
    return;
  }
  console.log(`API       ${env.apiUrl}`);
  console.log(`region    ${env.region}`);
  for (const [service, endpoint] of Object.entries(env.endpoints)) console.log(`${service.padEnd(9)} ${endpoint}`);
  for (const group of ['tables', 'buckets', 'queues'] as const) {
    for (const [role, name] of Object.entries(env[group])) {
      console.log(`${group.slice(0, -1).padEnd(9)} ${role.padEnd(20)} ${name}`);
    }
  }
}
