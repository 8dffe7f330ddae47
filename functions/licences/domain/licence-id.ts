import { randomBytes } from 'node:crypto';

/**
 * Licence ids: `L` + 16 random Crockford base32 characters (80 bits) + one check character, so a
 * mistyped id is refused before any lookup. The check is Damm's construction over GF(32)
 * (state ← 2·state ⊕ character, in GF(2⁵) modulo x⁵ + x² + 1): a totally anti-symmetric
 * quasigroup, so every single-character error and every swap of adjacent characters, the check
 * character included, changes the result.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const BODY = 16;
export const LICENCE_ID = /^L[0-9A-HJKMNP-TV-Z]{17}$/;

const times2 = (value: number) => ((value << 1) & 32 ? (value << 1) ^ 0b100101 : value << 1);
const fold = (text: string) => [...text].reduce((state, char) => times2(state) ^ ALPHABET.indexOf(char), 0);

export const checkCharacter = (body: string): string => ALPHABET[times2(fold(body))]!;

export function newLicenceId(random: (size: number) => Buffer = randomBytes): string {
  const body = [...random(BODY)].map((byte) => ALPHABET[byte % 32]).join('');
  return `L${body}${checkCharacter(body)}`;
}

export const isValidLicenceId = (id: string): boolean => LICENCE_ID.test(id) && fold(id.slice(1)) === 0;
