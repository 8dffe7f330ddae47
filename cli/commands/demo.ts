import type { Command } from 'commander';
import { runDemo } from '../demo/run.ts';
import { deployed } from '../target.ts';

const NOTES = `
Walks three journeys over the public API and prints each step:
  1. a citizen registers, signs in through the SSO and files a 12345 ticket; it is routed; the department
     accepts and resolves it on its work-queue page; the citizen closes it with a rating
  2. a department raises a payment order; the channel calls back twice at once; the order is PAID once;
     the receipt licence is issued; the citizen lists it; a third party verifies it; the issuer revokes it
  3. an auditor seals and verifies the audit trail, finds every step of 1 and 2 in it, and sees
     \`dgov audit verify\` catch one changed object (locally; the object is put back)

Exit codes: 0 every journey went as it should, 1 one did not (printed), 2 the demo could not run.`;

export function register(dgov: Command): void {
  dgov
    .command('demo')
    .description('seed a small province and walk the three end-to-end journeys against a running suite')
    .option('--no-seed', 'skip seeding (residents, licences, orders, tickets); walk the journeys only')
    .option(
      '--clients <file>',
      "the demo clients' ids and secrets (default: what `npm start` wrote, .local/demo-clients.json)",
    )
    .option(
      '--channel-file <file>',
      'a generic payment channel as `dgov channels create --json` printed it (default: a new local one)',
    )
    .addOption(deployed('--api-url <url>', 'the API of a deployed stage'))
    .addOption(deployed('--bucket <bucket>', 'its audit bucket (then no object is changed)'))
    .addOption(deployed('--region <region>', 'its region (default AWS_REGION)'))
    .addOption(deployed('--table <table>', 'its control table (to seal)'))
    .addOption(deployed('--audit-key <arn>', 'its audit signing key (to seal)'))
    .addOption(
      deployed('--trusted-key <file>', 'its pinned audit public key (to verify); repeatable').argParser(
        (value: string, previous: string[] = []) => [...previous, value],
      ),
    )
    .addHelpText('after', NOTES)
    .action(async (options, command: Command) => {
      process.exitCode = await runDemo(options, command.optsWithGlobals().json === true);
    });
}
