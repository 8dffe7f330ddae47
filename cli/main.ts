import { Command, CommanderError } from 'commander';
import * as audit from './commands/audit.ts';
import * as channels from './commands/channels.ts';
import * as clients from './commands/clients.ts';
import * as demo from './commands/demo.ts';
import * as env from './commands/env.ts';
import * as hotline from './commands/hotline.ts';
import * as payments from './commands/payments.ts';
import { CliError } from './target.ts';

const EPILOGUE = `
Exit codes:
  0  done
  1  the audit trail is not intact (dgov audit verify), bad rules (dgov hotline rules check), a journey gone wrong (dgov demo)
  2  a usage error, or the command failed (e.g. nothing answers at the target)

Targets what \`npm start\` runs (.local/env.json; DGOV_LOCAL_DIR overrides).`;

/** The whole command tree; subcommands inherit the settings made before they are added. */
function program(): Command {
  const dgov = new Command('dgov')
    .description('operate and audit the dgov platform')
    .option('--json', 'machine-readable output (JSON; JSON Lines for audit query)')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .addHelpText('after', EPILOGUE);
  for (const command of [audit, channels, clients, demo, env, hotline, payments]) command.register(dgov);
  nameErrors(dgov, 'dgov');
  return dgov;
}

/** `dgov audit: unknown command 'x'` and where to look, rather than commander's bare `error: …`. */
function nameErrors(command: Command, path: string): void {
  command
    .configureOutput({ outputError: (text, write) => write(`${path}: ${text.replace(/^error: /, '')}`) })
    .showHelpAfterError(`(see ${path} --help)`);
  for (const sub of command.commands) nameErrors(sub, `${path} ${sub.name()}`);
}

/**
 * Runs one dgov command line and resolves to its exit code (cli/bin.mjs sets it on the process; the
 * unit tests call it in-process). A command that sets process.exitCode (a failed check) has it
 * returned; the process's own is left as it was.
 */
export async function main(argv: string[]): Promise<number> {
  const outer = process.exitCode;
  process.exitCode = undefined;
  try {
    await program().parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    return exitCodeOf(error);
  } finally {
    process.exitCode = outer;
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed the help or the message; its exit code for usage errors is 1, ours is 2.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof CliError) {
    console.error(`dgov: ${error.message}`);
    return error.exitCode;
  }
  if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
    const { address, port } = error as { address?: string; port?: number };
    console.error(`dgov: nothing answers at ${address}:${port}; is \`npm start\` running?`);
    return 2;
  }
  // Exit 1 means "the trail is not intact"; anything that went wrong is 2.
  console.error(`dgov: ${(error as Error).stack ?? error}`);
  return 2;
}
