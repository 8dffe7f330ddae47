import * as audit from './commands/audit.ts';
import * as clients from './commands/clients.ts';
import * as env from './commands/env.ts';
import { CliError } from './target.ts';

interface Command {
  summary: string;
  run(args: string[], flags: { json: boolean }): Promise<number>;
}

const commands: Record<string, Command> = { audit, clients, env };

function usage(): string {
  const lines = Object.entries(commands).map(([name, command]) => `  dgov ${name.padEnd(10)} ${command.summary}`);
  return ['usage: dgov <command> [--json]', '', ...lines, '', 'Targets what `npm start` runs (.local/env.json; DGOV_LOCAL_DIR overrides).'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const [name, ...args] = argv.filter((arg) => arg !== '--json');
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`dgov: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(args, { json });
}

// `dgov audit query | head` closes the pipe early; that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof CliError) {
    console.error(`dgov: ${error.message}`);
    process.exitCode = error.exitCode;
  } else if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
    console.error(`dgov: nothing answers at ${(error as { address?: string; port?: number }).address}:${(error as { port?: number }).port}; is \`npm start\` running?`);
    process.exitCode = 2;
  } else {
    // Exit 1 means "the trail is not intact"; anything that went wrong is 2.
    console.error(`dgov: ${(error as Error).stack ?? error}`);
    process.exitCode = 2;
  }
}
