import { timingSafeEqual } from 'node:crypto';

/**
 * Whether two strings are equal, in time that does not depend on where they differ. Lengths are
 * compared in bytes: timingSafeEqual throws on buffers of different lengths, and two strings of the
 * same length in UTF-16 units (an emoji against two ASCII characters) can differ in bytes.
 */
export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
