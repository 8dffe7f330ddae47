import { readFileSync } from 'node:fs';
import { checkRules, type RuleProblem } from '../../functions/hotline/rules.ts';
import { CliError } from '../target.ts';

export interface RulesReport {
  file: string;
  rules: number;
  valid: number;
  problems: RuleProblem[];
}

/** Reads and checks a routing-rules file; a file that cannot be read or parsed is a usage error (2). */
export function checkRulesFile(file: string): RulesReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const { rules, problems } = checkRules(parsed);
  const count = Array.isArray((parsed as { rules?: unknown })?.rules)
    ? (parsed as { rules: unknown[] }).rules.length
    : 0;
  return { file, rules: count, valid: rules.length, problems };
}

export const formatProblem = (problem: RuleProblem) =>
  problem.index < 0
    ? problem.message
    : `rule ${problem.index}${problem.id ? ` (${problem.id})` : ''}: ${problem.message}`;
