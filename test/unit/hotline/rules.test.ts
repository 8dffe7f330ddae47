import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, CITIES, DEPARTMENTS } from '../../../functions/hotline/catalogue.ts';
import rulesFile from '../../../functions/hotline/rules.json' with { type: 'json' };
import { loadRules } from '../../../functions/hotline/rules-config.ts';
import { checkRules, type Rule, RuleIndex } from '../../../functions/hotline/rules.ts';

const rule = (id: string, category: string, division: string, lead = 'dept-housing'): Rule => ({
  id,
  category,
  division,
  lead,
});

describe('routing rules', () => {
  it('the deployed rules file is valid', () => {
    expect(checkRules(rulesFile).problems).toEqual([]);
    expect(loadRules().size).toBe(rulesFile.rules.length);
  });

  it('names each bad rule: unknown category, division, department, duplicates, lead assisting itself', () => {
    const { rules, problems } = checkRules({
      rules: [
        rule('ok', 'market.food', '370100', 'dept-market'),
        rule('bad-category', 'market.unknown', '370100'),
        rule('bad-division', 'market.food', '110101'),
        rule('bad-lead', 'market.food', '370200', 'dept-nobody'),
        { ...rule('self-assist', 'market.food', '370300', 'dept-market'), assist: ['dept-market'] },
        rule('ok', 'market.price', '370100'),
        rule('clash', 'market.food', '370100', 'dept-health'),
        { id: 'missing-fields' },
        'not a rule',
      ],
    });
    expect(rules.map((r) => r.id)).toEqual(['ok']);
    const named = problems.map((p) => `${p.index}:${p.id ?? ''}:${p.message}`);
    expect(named).toEqual([
      expect.stringMatching(/^1:bad-category:unknown category market.unknown/),
      expect.stringMatching(/^2:bad-division:unknown division 110101/),
      expect.stringMatching(/^3:bad-lead:unknown lead department dept-nobody/),
      expect.stringMatching(/^4:self-assist:dept-market cannot both lead and assist/),
      expect.stringMatching(/^5:ok:the id ok is used twice/),
      expect.stringMatching(/^6:clash:same category and division as rule ok/),
      expect.stringMatching(/^7:missing-fields:/),
      expect.stringMatching(/^8::/),
    ]);
    expect(checkRules({ rule: [] }).problems).toHaveLength(1);
  });

  it('the most specific rule wins: category before *, then district, city, province, *', () => {
    const index = new RuleIndex([
      rule('any', '*', '*', 'dept-12345'),
      rule('noise-province', 'environment.noise', '37', 'dept-environment'),
      rule('noise-jinan', 'environment.noise', '370100', 'dept-health'),
      rule('noise-lixia', 'environment.noise', '370102', 'dept-police'),
      rule('all-qingdao', '*', '370200', 'dept-transport'),
    ]);
    expect(index.decide('environment.noise', '370100', '370102').ruleId).toBe('noise-lixia');
    expect(index.decide('environment.noise', '370100', '370103').ruleId).toBe('noise-jinan');
    expect(index.decide('environment.noise', '370200', '370202').ruleId).toBe('noise-province');
    expect(index.decide('market.food', '370200').ruleId).toBe('all-qingdao');
    expect(index.decide('market.food', '370300').ruleId).toBe('any');
  });

  it('no matching rule sends the ticket to triage (the call centre)', () => {
    expect(new RuleIndex([rule('a', 'market.food', '370100')]).decide('market.price', '370100')).toEqual({
      lead: 'dept-12345',
      assist: [],
    });
  });

  it('decides as a scan of every rule by specificity would (property)', () => {
    const divisions = [
      '*',
      '37',
      ...CITIES.slice(0, 3).flatMap((c) => [c.code, ...c.districts.slice(0, 2).map((d) => d.code)]),
    ];
    const categories = ['*', ...CATEGORIES.slice(0, 4).map((c) => c.code)];
    const level = (code: string) => (code === '*' ? 0 : code.length === 2 ? 1 : code.endsWith('00') ? 2 : 3);
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({ category: fc.constantFrom(...categories), division: fc.constantFrom(...divisions) }),
          {
            selector: (r) => `${r.category}|${r.division}`,
            maxLength: 30,
          },
        ),
        fc.constantFrom(...categories.slice(1)),
        fc.constantFrom(...CITIES.slice(0, 3)),
        fc.boolean(),
        (specs, category, city, withDistrict) => {
          const rules = specs.map((s, i) => rule(`r${i}`, s.category, s.division, DEPARTMENTS[i % DEPARTMENTS.length]));
          const district = withDistrict ? city.districts[0]!.code : undefined;
          const applies = (r: Rule) =>
            (r.category === category || r.category === '*') && [district, city.code, '37', '*'].includes(r.division);
          const best = rules
            .filter(applies)
            .sort(
              (a, b) =>
                (b.category !== '*' ? 10 : 0) + level(b.division) - ((a.category !== '*' ? 10 : 0) + level(a.division)),
            )[0];
          expect(new RuleIndex(rules).decide(category, city.code, district).ruleId).toBe(best?.id);
        },
      ),
      { numRuns: 500 },
    );
  });
});
