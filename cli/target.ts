import { Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedEnvironment } from '../local/runtime.ts';
import { PROJECT_ROOT } from '../infra/project-root.ts';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export const localDir = () => process.env.DGOV_LOCAL_DIR ?? join(PROJECT_ROOT, '.local');

/** The environment `npm start` resolved and wrote; the default target of every command. */
export function localEnvironment(): ResolvedEnvironment {
  const file = join(localDir(), 'env.json');
  if (!existsSync(file)) {
    throw new CliError(`no local environment at ${file}: start the suite with \`npm start\` first`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as ResolvedEnvironment;
}

/** An option that aims a command at a deployed stage instead; listed apart in --help. */
export const deployed = (flags: string, description: string) =>
  new Option(flags, description).helpGroup('Deployed stage (default: what `npm start` runs):');
