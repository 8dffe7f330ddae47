import { localEnvironment } from '../target.ts';

export const summary = 'print the resolved environment (API URL, endpoints, physical names)';

export async function run(_args: string[], flags: { json: boolean }): Promise<number> {
  const env = localEnvironment();
  if (flags.json) {
    console.log(JSON.stringify(env, null, 2));
    return 0;
  }
  console.log(`API       ${env.apiUrl}`);
  console.log(`region    ${env.region}`);
  for (const [service, endpoint] of Object.entries(env.endpoints)) console.log(`${service.padEnd(9)} ${endpoint}`);
  for (const group of ['tables', 'buckets', 'queues'] as const) {
    for (const [role, name] of Object.entries(env[group])) console.log(`${group.slice(0, -1).padEnd(9)} ${role.padEnd(20)} ${name}`);
  }
  return 0;
}
