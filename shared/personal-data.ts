/**
 * Masking of personal data before it reaches a log line. Keys known to hold personal
 * data are masked whatever their value; ID numbers and mobile numbers are also found
 * inside free text (a description that quotes a phone number, say).
 */
const PERSONAL_KEYS = new Set([
  'idnumber',
  'operatoridnumber',
  'phone',
  'holdername',
  'payername',
  'contactname',
  'password',
]);
/** `name` is personal only beside a person's identifiers (an error's `name` is not). */
const PERSON_MARKERS = ['idNumber', 'operatorIdNumber', 'phone', 'creditCode', 'id'];
const ID_NUMBER_IN_TEXT = /(?<![0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])/g;
// A mobile may follow the country code (+86, 0086, 86), which the digit guard would otherwise skip.
const PHONE_IN_TEXT = /(?<![0-9])((?:\+|00)?86[- ]?)?(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])/g;

export const maskIdNumber = (id: string): string =>
  id.length <= 8 ? '*'.repeat(id.length) : `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;

export const maskPhone = (phone: string): string =>
  phone.length <= 7
    ? '*'.repeat(phone.length)
    : `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`;

export const maskName = (name: string): string => {
  const chars = Array.from(name);
  return chars.length <= 1 ? '*' : `${chars[0]}${'*'.repeat(chars.length - 1)}`;
};

export const maskText = (text: string): string =>
  text
    .replace(ID_NUMBER_IN_TEXT, (_m, head: string, tail: string) => `${head.slice(0, 4)}**********${tail.slice(-4)}`)
    .replace(
      PHONE_IN_TEXT,
      (_m, prefix: string | undefined, head: string, tail: string) => `${prefix ?? ''}${head}****${tail}`,
    );

function maskByKey(key: string, value: string): string {
  const k = key.toLowerCase();
  if (k === 'password') return '[redacted]';
  if (k === 'phone') return maskPhone(value);
  if (k.endsWith('name')) return maskName(value);
  return maskIdNumber(value);
}

const isPerson = (holder: unknown): boolean =>
  typeof holder === 'object' && holder !== null && PERSON_MARKERS.some((marker) => marker in holder);

/** A JSON.stringify replacer: Powertools Logger takes it as `jsonReplacerFn`. */
export function maskingReplacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'string') {
    if (PERSONAL_KEYS.has(key.toLowerCase())) return maskByKey(key, value);
    if (key === 'name' && isPerson(this)) return maskName(value);
    return maskText(value);
  }
  // A phone or ID number held as a number is as personal as the string form.
  if ((typeof value === 'number' || typeof value === 'bigint') && PERSONAL_KEYS.has(key.toLowerCase()))
    return maskByKey(key, String(value));
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Deep copy with every personal field masked, for places that log without the replacer. */
export const maskPersonalData = <T>(value: T): T => JSON.parse(JSON.stringify(value, maskingReplacer)) as T;
