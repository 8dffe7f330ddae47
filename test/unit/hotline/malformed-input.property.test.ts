import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actionSchema, newTicketSchema } from '../../../functions/hotline/contract.ts';
import { open311RequestSchema } from '../../../functions/hotline/open311.ts';
import { checkRules } from '../../../functions/hotline/rules.ts';

const valid = {
  category: 'housing.property',
  description: '电梯坏了',
  location: { cityCode: '370100', districtCode: '370102' },
  contact: { phone: '13912345678' },
  channel: 'app',
};

describe('hotline input under fuzzing', () => {
  it('POST /tickets: any JSON is parsed or refused, never thrown; whatever passes is a ticket the catalogue knows', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = newTicketSchema.safeParse(value);
        if (parsed.success) expect(parsed.data.description.trim().length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('POST /tickets: one field broken at a time is refused with that field named', () => {
    const broken = fc.constantFrom<[string, unknown]>(
      ['category', 'nope'],
      ['category', 42],
      ['description', ''],
      ['description', '\u00a0 \t'],
      ['description', 'x'.repeat(5001)],
      ['location', { cityCode: '999999' }],
      ['location', { cityCode: '370100', districtCode: '370202' }],
      ['location', { cityCode: '370100', lat: 91 }],
      ['contact', { phone: '1391234567' }],
      ['contact', { phone: '+1 415 555 0100' }],
      ['channel', 'fax'],
      ['urgency', 'now'],
      ['extra', true],
    );
    fc.assert(
      fc.property(broken, ([field, value]) => {
        const parsed = newTicketSchema.safeParse({ ...valid, [field]: value });
        expect(parsed.success).toBe(false);
        expect(parsed.error!.issues.map((issue) => String(issue.path[0] ?? ''))).toContain(
          field === 'extra' ? '' : field,
        );
      }),
    );
    expect(newTicketSchema.safeParse({ ...valid, contact: { phone: '+86 139-1234-5678' } }).data?.contact.phone).toBe(
      '13912345678',
    );
  });

  it('actions, Open311 forms and rules files: arbitrary input is refused or accepted, never thrown', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.dictionary(fc.string(), fc.string()), (value, form) => {
        actionSchema.safeParse(value);
        open311RequestSchema.safeParse(form);
        checkRules(value);
        checkRules({ rules: [value] });
      }),
      { numRuns: 2000 },
    );
  });
});
