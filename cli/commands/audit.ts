import type { Command } from 'commander';
import { query, report, seal, verify } from '../audit/actions.ts';
import { deployed } from '../target.ts';

const NOTES = `
Times are RFC 3339 (2026-11-29T08:00:00Z). Actions and resources take a trailing * as a prefix match.
Targets what \`npm start\` runs; a deployed stage with --bucket B --region R [--table T --audit-key KMS-ARN].`;

/** Which trail every audit command reads: the local one, or a deployed stage's. */
function withTarget(command: Command): Command {
  return command
    .addOption(deployed('--bucket <bucket>', 'its audit bucket (AWS credentials from the usual chain)'))
    .addOption(deployed('--region <region>', 'its region (default AWS_REGION)'))
    .addOption(deployed('--table <table>', 'its control table (to seal)'))
    .addOption(deployed('--audit-key <arn>', 'its audit signing key, a KMS key ARN (to seal)'));
}

const window = (command: Command) =>
  command.option('--from <time>', 'from this time (RFC 3339)').option('--to <time>', 'up to this time (RFC 3339)');

const json = (command: Command) => command.optsWithGlobals().json === true;

export function register(dgov: Command): void {
  const audit = dgov
    .command('audit')
    .description('query, seal, verify and report on the audit trail')
    .addHelpText('after', NOTES);

  withTarget(window(audit.command('query').description('stream matching events, each once (JSON Lines with --json)')))
    .option('--actor <id>', 'the actor id or client_id')
    .option('--action <action>', 'the action, or a prefix ending in *')
    .option('--resource <resource>', 'the resource, or a prefix ending in *')
    .action(async (options, command: Command) => {
      process.exitCode = await query(options, json(command));
    });

  withTarget(audit.command('seal').description('close the current digest period now')).action(
    async (options, command: Command) => {
      process.exitCode = await seal(options, json(command));
    },
  );

  withTarget(window(audit.command('verify').description('check every hash, link and signature; exit 1 if not intact')))
    .option('--trusted-key <file>', 'a public key (PEM or JWK) the chain must be signed with')
    .option('--grace <seconds>', 'how long unsealed objects count as pending, not inserted (default 300)')
    .action(async (options, command: Command) => {
      process.exitCode = await verify(options, json(command));
    });

  withTarget(window(audit.command('report').description('write a self-contained HTML page: charts and verification')))
    .requiredOption('--out <file>', 'the HTML file to write')
    .action(async (options) => {
      process.exitCode = await report(options);
    });
}
