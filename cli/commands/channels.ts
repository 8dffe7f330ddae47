import { Option, type Command } from 'commander';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import { newChannel, storeInSecretsManager, storeLocally, type Adapter } from '../payments/channels.ts';
import { CliError, deployed } from '../target.ts';

interface CreateOptions {
  id: string;
  adapter: Adapter;
  appId?: string;
  stage?: string;
  region?: string;
}

export function register(dgov: Command): void {
  const channels = dgov.command('channels').description('payment channels: their adapters and secrets');
  channels
    .command('create')
    .description('create a channel and its secret (generic: an HMAC secret; alipay: the key pairs); printed once')
    .requiredOption('--id <id>', 'the channel id: its callbacks go to POST /payments/callbacks/<id>')
    .addOption(
      new Option('--adapter <adapter>', 'how its notifications look')
        .choices(['generic', 'alipay'])
        .makeOptionMandatory(),
    )
    .option('--app-id <id>', 'alipay: our application id at Alipay')
    .addOption(
      deployed('--stage <stage>', 'create it in Secrets Manager for this stage (dgov/<stage>/payments/channels/<id>)'),
    )
    .addOption(deployed('--region <region>', 'its region (default AWS_REGION)'))
    .action((options: CreateOptions, command: Command) => create(options, command.optsWithGlobals().json === true));
}

async function create(options: CreateOptions, json: boolean): Promise<void> {
  const channel = newChannel(options.id, options.adapter, options.appId);
  if (options.stage) {
    const region = options.region ?? process.env.AWS_REGION;
    if (!region) throw new CliError('--region (or AWS_REGION) is needed with --stage');
    await storeInSecretsManager(options.stage, region, options.id, channel.stored);
  } else {
    storeLocally(process.env.DGOV_LOCAL_DIR ?? join(PROJECT_ROOT, '.local'), options.id, channel.stored);
  }
  if (json) console.log(JSON.stringify(channel.printed));
  else {
    for (const [name, value] of Object.entries(channel.printed)) console.log(`${name.padEnd(16)} ${value}`);
    console.log('(shown once: keep the secret or private key with the channel)');
  }
}
