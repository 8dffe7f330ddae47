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

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** What verify trusts and expects from outside the bucket (report verifies too). */
const checks = (command: Command) =>
  command
    .option(
      '--trusted-key <file>',
      'a public key (PEM or JWK) pinned for the deployment; repeatable (npm start pins its own)',
      collect,
    )
    .option(
      '--regions <list>',
      "the regions whose chains the bucket must hold, comma-separated (default: the target's)",
    )
    .option('--period <minutes>', 'the seal period: a chain must have a digest this recent, plus grace (default 60)')
    .option(
      '--grace <seconds>',
      'slack for a late seal; unsealed objects younger than period + grace are pending (default 300)',
    );

export function register(dgov: Command): void {
  const audit = dgov
    .command('audit')
    .description('query, seal, verify and report on the audit trail')
    .addHelpText('after', NOTES);

  withTarget(window(audit.command('query').description('stream matching events, each once (JSON Lines with --json)')))
    .option('--actor <id>', 'the actor id or client_id')
    .option('--action <action>', 'the action, or a prefix ending in *')
    .option('--resource <resource>', 'the resource, or a prefix ending in *')
    .option('--include-unsealed', 'also events from objects no digest lists yet, marked UNSEALED ("unsealed": true)')
    .action(async (options, command: Command) => {
      process.exitCode = await query(options, json(command));
    });

  withTarget(audit.command('seal').description('close the current digest period now'))
    .option(
      '--rotate-to <key>',
      'rotate: this digest, signed with the current key, names the next key (a KMS key ARN, or file:PEM locally)',
    )
    .action(async (options, command: Command) => {
      process.exitCode = await seal(options, json(command));
    });

  checks(
    withTarget(
      window(audit.command('verify').description('check every hash, link and signature; exit 1 if not intact')),
    ),
  ).action(async (options, command: Command) => {
    process.exitCode = await verify(options, json(command));
  });

  checks(
    withTarget(
      window(audit.command('report').description('write a self-contained HTML page: charts and verification')),
    ),
  )
    .requiredOption('--out <file>', 'the HTML file to write')
    .option('--include-unsealed', 'also count events from objects no digest lists yet')
    .action(async (options) => {
      process.exitCode = await report(options);
    });
}
