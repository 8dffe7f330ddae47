import rulesFile from './rules.json' with { type: 'json' };
import { checkRules, RuleIndex } from './rules.ts';

/**
 * The routing rules this deployment runs with (functions/hotline/rules.json, checked by
 * `dgov hotline rules check` and by the unit tests). A bad file stops the cold start, naming each rule.
 */
export function loadRules(file: unknown = rulesFile): RuleIndex {
  const { rules, problems } = checkRules(file);
  if (problems.length)
    throw new Error(
      `routing rules are not valid: ${problems.map((p) => `rule ${p.id ?? p.index}: ${p.message}`).join('; ')}`,
    );
  return new RuleIndex(rules);
}
