import { describe, expect, it } from 'vitest';
import {
  creditCodeCheckChar,
  idNumberCheckDigit,
  isValidCreditCode,
  isValidIdNumber,
  isValidMobile,
} from '../../shared/identifiers.ts';

// The check algorithms are restated here from the standards, independently of the implementation:
// GB 11643-1999: W_i = 2^(18-i) mod 11 for positions i = 1..17; check = (12 - S mod 11) mod 11, 10 written X.
// GB 32100-2015: W_i = 3^(i-1) mod 31; check = 31 - S mod 31, 31 written 0; charset 0-9A-Z without I O S V Z.
const ID_WEIGHTS = Array.from({ length: 17 }, (_, i) => 2 ** (17 - i) % 11);
const idCheck = (first17: string): string => {
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * ID_WEIGHTS[i]!, 0);
  const check = (12 - (sum % 11)) % 11;
  return check === 10 ? 'X' : String(check);
};

const CREDIT_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = Array.from({ length: 17 }, (_, i) => {
  let weight = 1;
  for (let k = 0; k < i; k += 1) weight = (weight * 3) % 31;
  return weight;
});
const creditCheck = (first17: string): string => {
  const sum = [...first17].reduce((total, char, i) => total + CREDIT_CHARSET.indexOf(char) * CREDIT_WEIGHTS[i]!, 0);
  const check = 31 - (sum % 31);
  return CREDIT_CHARSET[check === 31 ? 0 : check]!;
};

/** mulberry32: a small seeded PRNG, so every run checks the same cases. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = (chars: string) => chars[int(0, chars.length - 1)]!;
  return { next, int, pick };
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');
const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** A random 17-character ID prefix: region (first digit 1-9), a real past birth date, a sequence. */
function randomIdPrefix(random: ReturnType<typeof prng>): string {
  const region = `${random.int(1, 9)}${pad(random.int(0, 99_999), 5)}`;
  const year = random.int(1900, 2015);
  const month = random.int(1, 12);
  const day = random.int(1, daysIn(year, month));
  return `${region}${year}${pad(month, 2)}${pad(day, 2)}${pad(random.int(0, 999), 3)}`;
}

/** A random 17-character credit code prefix: two charset characters, six digits, nine charset characters. */
function randomCreditPrefix(random: ReturnType<typeof prng>): string {
  let prefix = random.pick(CREDIT_CHARSET) + random.pick(CREDIT_CHARSET);
  for (let i = 0; i < 6; i += 1) prefix += random.pick('0123456789');
  for (let i = 0; i < 9; i += 1) prefix += random.pick(CREDIT_CHARSET);
  return prefix;
}

const ID_CHARS = '0123456789X';

describe('the restated algorithms', () => {
  it('derive the weights the standards publish', () => {
    expect(ID_WEIGHTS).toEqual([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]);
    expect(CREDIT_WEIGHTS).toEqual([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]);
    expect(CREDIT_CHARSET).toHaveLength(31);
    for (const excluded of 'IOSVZ') expect(CREDIT_CHARSET).not.toContain(excluded);
  });
});

describe('isValidIdNumber (GB 11643-1999)', () => {
  it('accepts the published example 11010519491231002X, whose weighted sum 167 leaves 2 mod 11, i.e. X', () => {
    const first17 = '11010519491231002';
    const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * ID_WEIGHTS[i]!, 0);
    expect(sum).toBe(167);
    expect(sum % 11).toBe(2);
    expect('10X98765432'[sum % 11]).toBe('X');
    expect(idNumberCheckDigit(first17)).toBe('X');
    expect(isValidIdNumber('11010519491231002X')).toBe(true);
  });

  it('refuses the published example with any other check character', () => {
    for (const char of '0123456789') expect(isValidIdNumber(`11010519491231002${char}`)).toBe(false);
  });

  it('accepts a random prefix with its computed check character and refuses every other one', () => {
    const random = prng(11_643);
    for (let run = 0; run < 300; run += 1) {
      const prefix = randomIdPrefix(random);
      const check = idCheck(prefix);
      expect(idNumberCheckDigit(prefix), prefix).toBe(check);
      expect(isValidIdNumber(prefix + check), prefix + check).toBe(true);
      for (const other of ID_CHARS.replace(check, ''))
        expect(isValidIdNumber(prefix + other), prefix + other).toBe(false);
    }
  });

  it('detects any single changed digit among the first seventeen', () => {
    const random = prng(1999);
    for (let run = 0; run < 100; run += 1) {
      const prefix = randomIdPrefix(random);
      const valid = prefix + idCheck(prefix);
      const position = random.int(0, 16);
      const original = valid[position]!;
      const replacement = random.pick('0123456789'.replace(original, ''));
      const changed = valid.slice(0, position) + replacement + valid.slice(position + 1);
      expect(isValidIdNumber(changed), `${valid} -> ${changed}`).toBe(false);
    }
  });

  it('refuses a birth date that does not exist, even with the right check character', () => {
    for (const date of ['19490231', '19491301', '19490001', '19490100', '19000229', '19990229']) {
      const prefix = `110105${date}002`;
      expect(isValidIdNumber(prefix + idCheck(prefix)), date).toBe(false);
    }
  });

  it('accepts 29 February in a leap year', () => {
    const prefix = '11010520000229001';
    expect(isValidIdNumber(prefix + idCheck(prefix))).toBe(true);
  });

  it('refuses a birth date in the future and one before 1900', () => {
    const nextYear = new Date().getUTCFullYear() + 1;
    for (const date of [`${nextYear}0101`, '20990615', '18991231']) {
      const prefix = `110105${date}002`;
      expect(isValidIdNumber(prefix + idCheck(prefix)), date).toBe(false);
    }
  });

  it('refuses the wrong shape: length, a leading zero, letters, the old 15-digit form', () => {
    const valid = '11010519491231002X';
    for (const value of [
      '',
      valid.slice(0, 17),
      `${valid}0`,
      `0${valid.slice(1)}`,
      '1101051949123100AX',
      '110105491231002',
      ` ${valid}`,
      `${valid} `,
      '１１０１０５１９４９１２３１００２X',
    ]) {
      expect(isValidIdNumber(value), JSON.stringify(value)).toBe(false);
    }
  });
});

describe('isValidCreditCode (GB 32100-2015)', () => {
  it('accepts 91350100M000100Y43, whose weighted sum 1640 leaves 28 mod 31, so the check is 31 - 28 = 3', () => {
    const first17 = '91350100M000100Y4';
    const values = [...first17].map((char) => CREDIT_CHARSET.indexOf(char));
    expect(values).toEqual([9, 1, 3, 5, 0, 1, 0, 0, 21, 0, 0, 0, 1, 0, 0, 30, 4]);
    const sum = values.reduce((total, value, i) => total + value * CREDIT_WEIGHTS[i]!, 0);
    expect(sum).toBe(1640);
    expect(sum % 31).toBe(28);
    expect(creditCodeCheckChar(first17)).toBe('3');
    expect(isValidCreditCode('91350100M000100Y43')).toBe(true);
  });

  it('refuses the example with any other check character', () => {
    for (const char of CREDIT_CHARSET.replace('3', ''))
      expect(isValidCreditCode(`91350100M000100Y4${char}`), char).toBe(false);
  });

  it('accepts a random prefix with its computed check character and refuses every other one', () => {
    const random = prng(32_100);
    for (let run = 0; run < 300; run += 1) {
      const prefix = randomCreditPrefix(random);
      const check = creditCheck(prefix);
      expect(creditCodeCheckChar(prefix), prefix).toBe(check);
      expect(isValidCreditCode(prefix + check), prefix + check).toBe(true);
      for (const other of CREDIT_CHARSET.replace(check, ''))
        expect(isValidCreditCode(prefix + other), prefix + other).toBe(false);
    }
  });

  it('writes a remainder of 0 (31 - 0 = 31) as the check character 0', () => {
    // The last weight (28) is invertible mod 31, so exactly one 17th character makes the sum divisible by 31.
    const prefixes = [...CREDIT_CHARSET].map((char) => `91350100M000100Y${char}`);
    const divisible = prefixes.filter(
      (prefix) =>
        [...prefix].reduce((total, char, i) => total + CREDIT_CHARSET.indexOf(char) * CREDIT_WEIGHTS[i]!, 0) % 31 === 0,
    );
    expect(divisible).toHaveLength(1);
    expect(creditCodeCheckChar(divisible[0]!)).toBe('0');
    expect(isValidCreditCode(`${divisible[0]}0`)).toBe(true);
  });

  it('detects any single changed character among the first seventeen', () => {
    const random = prng(2015);
    for (let run = 0; run < 100; run += 1) {
      const prefix = randomCreditPrefix(random);
      const valid = prefix + creditCheck(prefix);
      const position = random.int(0, 16);
      const pool = position >= 2 && position <= 7 ? '0123456789' : CREDIT_CHARSET;
      const replacement = random.pick(pool.replace(valid[position]!, ''));
      const changed = valid.slice(0, position) + replacement + valid.slice(position + 1);
      expect(isValidCreditCode(changed), `${valid} -> ${changed}`).toBe(false);
    }
  });

  it('refuses the letters I, O, S, V and Z wherever they appear, whatever the check character', () => {
    const valid = '91350100M000100Y43';
    for (const letter of 'IOSVZ') {
      for (const position of [0, 1, 8, 15, 17]) {
        const base = valid.slice(0, position) + letter + valid.slice(position + 1);
        if (position === 17) {
          expect(isValidCreditCode(base), base).toBe(false);
          continue;
        }
        for (const check of CREDIT_CHARSET)
          expect(isValidCreditCode(base.slice(0, 17) + check), base.slice(0, 17) + check).toBe(false);
      }
    }
  });

  it('refuses letters in the six-digit division code, lowercase and the wrong length', () => {
    const prefix = '91A50100M000100Y4';
    expect(isValidCreditCode(prefix + creditCheck(prefix))).toBe(false);
    for (const value of ['', '91350100m000100y43', '91350100M000100Y4', '91350100M000100Y433', ' 91350100M000100Y43']) {
      expect(isValidCreditCode(value), JSON.stringify(value)).toBe(false);
    }
  });
});

describe('isValidMobile', () => {
  it('accepts 11-digit numbers starting 13 to 19', () => {
    for (const second of '3456789') expect(isValidMobile(`1${second}812345678`)).toBe(true);
  });

  it('refuses other prefixes, lengths and decorations', () => {
    for (const value of [
      '10812345678',
      '11812345678',
      '12812345678',
      '23812345678',
      '1381234567',
      '138123456789',
      '+8613812345678',
      '138 1234 5678',
      ' 13812345678',
      '１３８１２３４５６７８',
      '',
    ]) {
      expect(isValidMobile(value), JSON.stringify(value)).toBe(false);
    }
  });
});
