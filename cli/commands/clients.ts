import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Option, type Command } from 'commander';
import { createClient } from '../identity/clients.ts';
import { registerClientOrigins } from '../../shared/cors-origins.ts';
import { dynamoIdentityStore } from '../../functions/identity/store.ts';
import { DomainError, ValidationError } from '../../shared/errors.ts';
import { localClients } from '../../local/aws-clients.ts';
import { CliError, deployed, localEnvironment } from '../target.ts';

interface CreateOptions {
  id: string;
  kind: 'confidential' | 'public';
  scopes?: string;
  department?: string;
  redirectUri?: string[];
  identityTable?: string;
  controlTable?: string;
  region?: string;
}

const KINDS = ['confidential', 'public'];

export function register(dgov: Command): void {
  const clients = dgov.command('clients').description('register OAuth clients (department systems, channels, apps)');
  clients
    .command('create')
    .description('register a client; prints its secret and API key once (only their hashes are stored)')
    .requiredOption('--id <id>', 'the client_id')
    .addOption(new Option('--kind <kind>', 'the kind of client').choices(KINDS).makeOptionMandatory())
    .option('--scopes <scopes>', 'space-separated scopes, e.g. "openid licences:issue"')
    .option('--department <id>', 'the department a confidential client acts for')
    .option('--redirect-uri <url...>', 'where the authorization code flow may return (repeatable)')
    .addOption(deployed('--identity-table <table>', 'the identity table'))
    .addOption(deployed('--control-table <table>', 'the control table'))
    .addOption(deployed('--region <region>', 'its region (default AWS_REGION)'))
    .action((options: CreateOptions, command: Command) => create(options, command.optsWithGlobals().json === true));
}

async function create(options: CreateOptions, json: boolean): Promise<void> {
  let documents: DynamoDBDocumentClient;
  let tables: { identity: string; control: string };
  if (options.identityTable) {
    const region = options.region ?? process.env.AWS_REGION;
    if (!region || !options.controlTable) {
      throw new CliError('--control-table and --region (or AWS_REGION) are needed with --identity-table');
    }
    documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region }));
    tables = { identity: options.identityTable, control: options.controlTable };
  } else {
    const env = localEnvironment();
    documents = DynamoDBDocumentClient.from(localClients(env.endpoints, env.region).dynamodb);
    if (!env.tables.identityTable || !env.tables.controlTable) {
      throw new CliError('the local environment has no identity table');
    }
    tables = { identity: env.tables.identityTable, control: env.tables.controlTable };
  }
  try {
    const created = await createClient(
      {
        clientId: options.id,
        kind: options.kind,
        scopes: (options.scopes ?? '').split(/\s+/).filter(Boolean),
        redirectUris: options.redirectUri ?? [],
        department: options.department,
      },
      dynamoIdentityStore(documents, tables),
    );
    // Its browser app may call the API from its redirect URIs' origins (CORS, shared/cors.ts).
    const origins = await registerClientOrigins(documents, tables.control, options.id, options.redirectUri ?? []);
    if (json) console.log(JSON.stringify(created));
    else {
      console.log(`client_id     ${created.client_id}`);
      if (created.client_secret) {
        console.log(`client_secret ${created.client_secret}   (shown once; only its hash is stored)`);
      }
      if (created.api_key) console.log(`api_key       ${created.api_key}   (shown once)`);
      if (origins.length) console.log(`cors origins  ${origins.join(' ')}`);
    }
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new CliError(`${error.detail}: ${error.errors.map((e) => `--${e.path} ${e.message}`).join('; ')}`);
    }
    if (error instanceof DomainError) throw new CliError(error.detail);
    throw error;
  }
}
