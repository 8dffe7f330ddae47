import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { createClient } from '../identity/clients.ts';
import { dynamoIdentityStore } from '../../functions/identity/store.ts';
import { DomainError, ValidationError } from '../../shared/errors.ts';
import { localClients } from '../../local/aws-clients.ts';
import { CliError, localEnvironment } from '../target.ts';

export const summary = 'register OAuth clients (department systems, channels, apps)';

const USAGE = `usage:
  dgov clients create --id ID --kind confidential|public --scopes "openid licences:issue …"
                      [--department ID] [--redirect-uri URL …] [--json]
Against a deployed stage add --identity-table T --control-table T --region R.`;

export async function run(args: string[], flags: { json: boolean }): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') throw new CliError(USAGE);
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    values = parseArgs({
      args: rest,
      strict: true,
      options: {
        id: { type: 'string' },
        kind: { type: 'string' },
        scopes: { type: 'string' },
        department: { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'identity-table': { type: 'string' },
        'control-table': { type: 'string' },
        region: { type: 'string' },
      },
    }).values;
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  if (!values.id || (values.kind !== 'confidential' && values.kind !== 'public')) throw new CliError(`--id and --kind confidential|public are required\n${USAGE}`);

  let documents: DynamoDBDocumentClient;
  let tables: { identity: string; control: string };
  if (values['identity-table']) {
    const region = (values.region as string | undefined) ?? process.env.AWS_REGION;
    if (!region || !values['control-table']) throw new CliError('--control-table and --region (or AWS_REGION) are needed with --identity-table');
    documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region }));
    tables = { identity: values['identity-table'] as string, control: values['control-table'] as string };
  } else {
    const env = localEnvironment();
    documents = DynamoDBDocumentClient.from(localClients(env.endpoints, env.region).dynamodb);
    if (!env.tables.identityTable || !env.tables.controlTable) throw new CliError('the local environment has no identity table');
    tables = { identity: env.tables.identityTable, control: env.tables.controlTable };
  }
  try {
    const created = await createClient(
      {
        clientId: values.id as string,
        kind: values.kind,
        scopes: String(values.scopes ?? '').split(/\s+/).filter(Boolean),
        redirectUris: (values['redirect-uri'] as string[] | undefined) ?? [],
        department: values.department as string | undefined,
      },
      dynamoIdentityStore(documents, tables),
    );
    if (flags.json) console.log(JSON.stringify(created));
    else {
      console.log(`client_id     ${created.client_id}`);
      if (created.client_secret) console.log(`client_secret ${created.client_secret}   (shown once; only its hash is stored)`);
      if (created.api_key) console.log(`api_key       ${created.api_key}   (shown once)`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ValidationError) throw new CliError(`${error.detail}: ${error.errors.map((e) => `--${e.path} ${e.message}`).join('; ')}`);
    if (error instanceof DomainError) throw new CliError(error.detail);
    throw error;
  }
}
