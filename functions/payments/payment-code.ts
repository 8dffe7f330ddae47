import { randomInt } from 'node:crypto';

/**
 * The 20-digit payment code (缴款码) printed on a payment notice: 19 random digits and a Luhn
 * check digit (ISO/IEC 7812), which catches every single mistyped digit and most swaps of two
 * neighbours before a channel is ever asked about a code that does not exist.
 */
export function luhnCheckDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

export const isValidPaymentCode = (code: string): boolean =>
  /^[1-9]\d{19}$/.test(code) && luhnCheckDigit(code.slice(0, 19)) === code[19];

export function newPaymentCode(random: (max: number) => number = randomInt): string {
  let body = String(1 + random(9));
  while (body.length < 19) body += String(random(10));
  return body + luhnCheckDigit(body);
}

/** The order id follows from its payment code, so a callback finds its order in one read. */
export const orderIdOf = (paymentCode: string): string => `po-${paymentCode}`;
export const paymentCodeOf = (orderId: string): string | undefined => /^po-(\d{20})$/.exec(orderId)?.[1];
