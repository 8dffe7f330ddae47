import * as z from 'zod/mini';
import { categoryOf, divisionLevel, isDepartment, PROVINCE, TRIAGE_DEPARTMENT, cityOfDistrict } from './catalogue.ts';

/**
 * A routing rule: tickets of `category` (or `*`) located in `division` (the province `37`, a city
 * `370100`, a district `370102`, or `*`) go to `lead`, with `assist` helping.
 */
export const ruleSchema = z.strictObject({
  id: z.string().check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, '1 to 64 letters, digits, . _ -')),
  category: z.string(),
  division: z.string(),
  lead: z.string(),
  assist: z.optional(z.array(z.string()).check(z.maxLength(5))),
});
export type Rule = z.infer<typeof ruleSchema>;
export const rulesFileSchema = z.strictObject({ rules: z.array(z.unknown()) });

export interface RuleProblem {
  /** The rule's index in the file, and its id when it has one. */
  index: number;
  id?: string;
  message: string;
}

/** Checks every rule of a rules file; an empty list means the file can be used. */
export function checkRules(file: unknown): { rules: Rule[]; problems: RuleProblem[] } {
  const parsedFile = rulesFileSchema.safeParse(file);
  if (!parsedFile.success)
    return { rules: [], problems: [{ index: -1, message: 'the file is not { "rules": [ … ] }' }] };
  const problems: RuleProblem[] = [];
  const rules: Rule[] = [];
  const ids = new Set<string>();
  const keys = new Map<string, string>();
  parsedFile.data.rules.forEach((raw, index) => {
    const parsed = ruleSchema.safeParse(raw);
    const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : undefined;
    if (!parsed.success) {
      const what = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'rule'}: ${issue.message}`);
      problems.push({ index, ...(id ? { id } : {}), message: what.join('; ') });
      return;
    }
    const rule = parsed.data;
    const said = (message: string) => problems.push({ index, id: rule.id, message });
    const before = problems.length;
    if (ids.has(rule.id)) said(`the id ${rule.id} is used twice`);
    if (rule.category !== '*' && !categoryOf(rule.category)) said(`unknown category ${rule.category}`);
    if (rule.division !== '*' && divisionLevel(rule.division) === 0)
      said(`unknown division ${rule.division} (a GB/T 2260 code in Shandong, or *)`);
    if (!isDepartment(rule.lead)) said(`unknown lead department ${rule.lead}`);
    for (const assisting of rule.assist ?? []) {
      if (!isDepartment(assisting)) said(`unknown assisting department ${assisting}`);
      if (assisting === rule.lead) said(`${assisting} cannot both lead and assist`);
    }
    const key = keyOf(rule.category, rule.division);
    const clash = keys.get(key);
    if (clash) said(`same category and division as rule ${clash}: which one wins would be arbitrary`);
    ids.add(rule.id);
    if (problems.length === before) {
      keys.set(key, rule.id);
      rules.push(rule);
    }
  });
  return { rules, problems };
}

const keyOf = (category: string, division: string) => `${category}|${division}`;

export interface RoutingDecision {
  lead: string;
  assist: string[];
  /** The rule that decided; undefined when nothing matched and the ticket goes to triage. */
  ruleId?: string;
}

/**
 * Rules indexed by (category, division). A decision looks up at most 2 × 4 keys, most specific first
 * (the exact category before `*`, then district, city, province, `*`), so its cost does not depend on
 * how many rules there are. The category outranks the division: a department's responsibility for a
 * kind of matter is the stronger signal than where it happens.
 */
export class RuleIndex {
  private readonly byKey = new Map<string, Rule>();

  constructor(rules: readonly Rule[]) {
    for (const rule of rules) this.byKey.set(keyOf(rule.category, rule.division), rule);
  }

  get size(): number {
    return this.byKey.size;
  }

  decide(category: string, cityCode: string, districtCode?: string): RoutingDecision {
    const divisions = [districtCode, cityCode, PROVINCE.code, '*'].filter((code): code is string => !!code);
    for (const candidateCategory of [category, '*'])
      for (const division of divisions) {
        const rule = this.byKey.get(keyOf(candidateCategory, division));
        if (rule) return { lead: rule.lead, assist: rule.assist ?? [], ruleId: rule.id };
      }
    return { lead: TRIAGE_DEPARTMENT, assist: [] };
  }
}

/** A district given with the wrong city is refused at intake; this keeps rules and intake agreeing. */
export const districtIsIn = (districtCode: string, cityCode: string): boolean =>
  cityOfDistrict(districtCode) === cityCode;
