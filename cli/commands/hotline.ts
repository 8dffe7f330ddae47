import type { Command } from 'commander';
import { checkRulesFile, formatProblem } from '../hotline/rules.ts';

export function register(dgov: Command): void {
  const hotline = dgov.command('hotline').description('the 12345 hotline');
  const rules = hotline.command('rules').description('routing rules (category × division → department)');
  rules
    .command('check')
    .description('validate a routing-rules file; exit 1 naming each bad rule')
    .argument('<file>', 'a JSON file { "rules": [ { id, category, division, lead, assist? } ] }')
    .action((file: string, _options, command: Command) => check(file, command.optsWithGlobals().json === true));
}

function check(file: string, json: boolean): void {
  const report = checkRulesFile(file);
  if (json) console.log(JSON.stringify(report, null, 2));
  else if (report.problems.length === 0) console.log(`${file}: ${report.rules} rules, all valid`);
  else {
    for (const problem of report.problems) console.log(`${file}: ${formatProblem(problem)}`);
    console.log(`${report.problems.length} problem(s) in ${report.rules} rules`);
  }
  if (report.problems.length) process.exitCode = 1;
}
