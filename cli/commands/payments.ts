import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import type { ReconciliationReport } from '../../functions/payments/use-cases/reconcile.ts';
import { reportKey } from '../../functions/payments/use-cases/reconcile.ts';
import { localClients } from '../../local/aws-clients.ts';
import { reportTable } from '../payments/report.ts';
import { CliError, deployed, localEnvironment } from '../target.ts';

interface ReconcileOptions {
  channel: string;
  date: string;
  bucket?: string;
  region?: string;
}

export function register(dgov: Command): void {
  const payments = dgov.command('payments').description('non-tax revenue payments');
  payments
    .command('reconcile')
    .description("shows the reconciliation report of a channel's statement for a day")
    .requiredOption('--channel <id>', 'the payment channel')
    .requiredOption('--date <yyyy-mm-dd>', 'the business day (Beijing time)')
    .addOption(deployed('--bucket <bucket>', 'the statements bucket'))
    .addOption(deployed('--region <region>', 'its region (default AWS_REGION)'))
    .action((options: ReconcileOptions, command: Command) => show(options, command.optsWithGlobals().json === true));
}

async function show(options: ReconcileOptions, json: boolean): Promise<void> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(options.date)) throw new CliError(`--date ${options.date}: yyyy-mm-dd`);
  let s3: S3Client;
  let bucket: string;
  if (options.bucket) {
    s3 = new S3Client({ region: options.region ?? process.env.AWS_REGION });
    bucket = options.bucket;
  } else {
    const env = localEnvironment();
    s3 = localClients(env.endpoints, env.region).s3;
    const local = env.buckets.paymentsStatements;
    if (!local) throw new CliError('the local environment has no statements bucket');
    bucket = local;
  }
  const key = reportKey(options.channel, options.date);
  let text: string;
  try {
    text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString('utf8');
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey')
      throw new CliError(
        `no report ${key}: put the statement at statements/${options.channel}/${options.date}.csv first`,
      );
    throw error;
  }
  const report = JSON.parse(text) as ReconciliationReport;
  console.log(json ? JSON.stringify(report) : reportTable(report));
}
