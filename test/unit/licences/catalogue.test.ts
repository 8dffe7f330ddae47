import fc from 'fast-check';
import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { LICENCE_TYPES, validateCatalogue } from '../../../functions/licences/catalogue.ts';
import { checkCharacter, isValidLicenceId, newLicenceId } from '../../../functions/licences/domain/licence-id.ts';

describe('licence ids', () => {
  it('carry a check character that catches every single-character change and adjacent swap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 17 }), fc.integer({ min: 0, max: 31 }), (position, shift) => {
        const id = newLicenceId();
        expect(isValidLicenceId(id)).toBe(true);
        const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
        const changed = alphabet[(alphabet.indexOf(id[position]!) + 1 + (shift % 31)) % 32]!;
        expect(isValidLicenceId(`${id.slice(0, position)}${changed}${id.slice(position + 1)}`)).toBe(false);
        if (position < 17 && id[position] !== id[position + 1]) {
          const swapped = `${id.slice(0, position)}${id[position + 1]}${id[position]}${id.slice(position + 2)}`;
          expect(isValidLicenceId(swapped)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
    expect(checkCharacter('0000000000000000')).toBe('0');
    expect(isValidLicenceId(`l${newLicenceId().slice(1)}`)).toBe(false);
  });
});

describe('the licence-type catalogue', () => {
  it('as shipped passes its own start-up check', () => {
    expect([...validateCatalogue(LICENCE_TYPES).keys()]).toEqual([
      'business-licence',
      'food-operation-licence',
      'no-criminal-record',
      'payment-receipt',
    ]);
  });

  it.each([
    ['a duplicate code', [LICENCE_TYPES[0]!, LICENCE_TYPES[0]!], /listed twice/],
    ['a bad code', [{ ...LICENCE_TYPES[0]!, type: 'Bad Code' }], /must match/],
    ['no issuers', [{ ...LICENCE_TYPES[0]!, issuers: [] }], /department ids/],
    ['an issuer that is no department', [{ ...LICENCE_TYPES[0]!, issuers: ['market'] }], /department ids/],
    ['a validity of 0 days', [{ ...LICENCE_TYPES[0]!, validityDays: 0 }], /positive/],
    ['a schema JSON Schema cannot express', [{ ...LICENCE_TYPES[0]!, data: z.object({ at: z.date() }) }], /./],
  ])('refuses %s', (_name, types, message) => {
    expect(() => validateCatalogue(types)).toThrow(message);
  });
});
