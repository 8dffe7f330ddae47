import { randomBytes } from 'node:crypto';

/**
 * Licence ids: `L` + 16 random Crockford base32 characters (80 bits) + one check character
 * (Luhn mod 32 over the same alphabet), so a mistyped id is refused before any lookup: every
 * single-character error and every swap of adjacent characters changes the check.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const BODY = 16;
export const LICENCE_ID = /^L[0-9A-HJKMNP-TV-Z]{17}$/;

export function checkCharacter(body: string): string {
  let factor = 2;
  let sum = 0;
  for (let i = body.length - 1; i >= 0; i--) {
    let addend = factor * ALPHABET.indexOf(body[i]!);
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / 32) + (addend % 32);
    sum += addend;
  }
  return ALPHABET[(32 - (sum % 32)) % 32]!;
}

export function newLicenceId(random: (size: number) => Buffer = randomBytes): string {
  const body = [...random(BODY)].map((byte) => ALPHABET[byte % 32]).join('');
  return `L${body}${checkCharacter(body)}`;
}

export const isValidLicenceId = (id: string): boolean =>
  LICENCE_ID.test(id) && checkCharacter(id.slice(1, -1)) === id.slice(-1);
