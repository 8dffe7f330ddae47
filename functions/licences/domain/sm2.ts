import { sm2, sm3 } from 'sm-crypto-v2';

/**
 * GB/T 32918 SM2 signatures with SM3, the default user id of GB/T 38540 seals.
 *
 * The arithmetic is sm-crypto-v2's (noble-curves). What is added here is what can be computed
 * once: the Z value of each key (SM3 of the user id, the curve and the key) and, for
 * verification, fixed-window tables of G and of each public key, so a verification is 64 point
 * additions and no doublings. Both multiplications of a verification use public scalars only,
 * so the table lookups need not be constant-time; signing keeps the library's constant-time path.
 */
export const SM2_DEFAULT_USER_ID = '1234567812345678';

type Point = ReturnType<typeof sm2.precomputePublicKey>;
type PointClass = { BASE: Point; ZERO: Point; fromHex(hex: string): Point };

const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');
const WINDOW = 8;
const WINDOWS = 256 / WINDOW;
const MASK = BigInt((1 << WINDOW) - 1);

const mod = (a: bigint, m = N) => ((a % m) + m) % m;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const toBig = (bytes: Uint8Array) => (bytes.length === 0 ? 0n : BigInt(`0x${hex(bytes)}`));

/** table[i][j] = j · 2^(8i) · P, for j in 1..255. */
function fixedWindowTable(point: Point): Point[][] {
  const table: Point[][] = [];
  let base = point;
  for (let i = 0; i < WINDOWS; i++) {
    const row: Point[] = [base];
    for (let j = 2; j < 1 << WINDOW; j++) row.push(row[j - 2]!.add(base));
    table.push(row);
    base = row[row.length - 1]!.add(base); // 256 · base
  }
  return table;
}

function multiplyPublic(table: Point[][], scalar: bigint, zero: Point): Point {
  let sum = zero;
  for (let i = 0; i < WINDOWS && scalar > 0n; i++, scalar >>= BigInt(WINDOW)) {
    const digit = Number(scalar & MASK);
    if (digit !== 0) sum = sum.add(table[i]![digit - 1]!);
  }
  return sum;
}

let baseTable: Point[][] | undefined;
let pointClass: PointClass | undefined;

/** A public key, with what its verifications can share: its Z value and its window table. */
export interface Sm2PublicKey {
  /** Uncompressed point, hex (04 ‖ x ‖ y). */
  readonly hex: string;
  readonly z: Uint8Array;
  table(): Point[][];
}

const publicKeys = new Map<string, Sm2PublicKey>();

const onCurve = (publicKeyHex: string): boolean => {
  try {
    return sm2.verifyPublicKey(publicKeyHex);
  } catch {
    return false; // the library throws for a point off the curve
  }
};

/** Parses (and keeps) a public key; undefined when the hex is not a point of the curve. */
export function sm2PublicKey(publicKeyHex: string, userId = SM2_DEFAULT_USER_ID): Sm2PublicKey | undefined {
  const id = `${userId}:${publicKeyHex.toLowerCase()}`;
  const known = publicKeys.get(id);
  if (known) return known;
  if (!/^04[0-9a-fA-F]{128}$/.test(publicKeyHex) || !onCurve(publicKeyHex)) return undefined;
  let table: Point[][] | undefined;
  const key: Sm2PublicKey = {
    hex: publicKeyHex.toLowerCase(),
    z: sm2.getZ(publicKeyHex, userId),
    table: () => {
      if (!table) {
        const point = sm2.precomputePublicKey(publicKeyHex, 1);
        pointClass ??= point.constructor as unknown as PointClass;
        table = fixedWindowTable(point);
      }
      return table;
    },
  };
  if (publicKeys.size > 64) publicKeys.clear();
  publicKeys.set(id, key);
  return key;
}

/** e = SM3(Z ‖ M), the value GB/T 32918 signs. */
export const sm2Digest = (key: Sm2PublicKey, message: Uint8Array): Uint8Array => {
  const joined = new Uint8Array(key.z.length + message.length);
  joined.set(key.z);
  joined.set(message, key.z.length);
  return Buffer.from(sm3(joined), 'hex');
};

/** Signs with a private key (hex); returns the DER signature. */
export function sm2Sign(privateKeyHex: string, key: Sm2PublicKey, message: Uint8Array): Buffer {
  const e = sm2Digest(key, message);
  // hash: false: the message passed is e itself, already SM3(Z ‖ M).
  return Buffer.from(sm2.doSignature(e, privateKeyHex, { der: true, hash: false }), 'hex');
}

/** Strict DER: SEQUENCE { INTEGER r, INTEGER s }, minimal encodings, nothing after it. */
export function decodeDerSignature(der: Uint8Array): { r: bigint; s: bigint } | undefined {
  if (der.length < 8 || der.length > 72 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  let offset = 2;
  const integer = (): bigint | undefined => {
    if (der[offset] !== 0x02) return undefined;
    const length = der[offset + 1] ?? 0;
    const start = offset + 2;
    if (length < 1 || length > 33 || start + length > der.length) return undefined;
    const bytes = der.subarray(start, start + length);
    if (bytes[0]! & 0x80) return undefined; // negative
    if (length > 1 && bytes[0] === 0 && !(bytes[1]! & 0x80)) return undefined; // not minimal
    offset = start + length;
    return toBig(bytes);
  };
  const r = integer();
  const s = integer();
  if (r === undefined || s === undefined || offset !== der.length) return undefined;
  return { r, s };
}

/** GB/T 32918 verification: (e + x(s·G + t·P)) mod n = r, t = r + s. False for any malformed input. */
export function sm2Verify(key: Sm2PublicKey, message: Uint8Array, derSignature: Uint8Array): boolean {
  const signature = decodeDerSignature(derSignature);
  if (!signature) return false;
  const { r, s } = signature;
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const t = mod(r + s);
  if (t === 0n) return false;
  const keyTable = key.table();
  const points = pointClass!;
  baseTable ??= fixedWindowTable(points.BASE);
  const sum = multiplyPublic(baseTable, s, points.ZERO).add(multiplyPublic(keyTable, t, points.ZERO));
  if (sum.equals(points.ZERO)) return false;
  const e = toBig(sm2Digest(key, message));
  return mod(e + sum.toAffine().x) === r;
}

/** A new key pair, hex (private 32 bytes; public 04 ‖ x ‖ y). */
export const sm2KeyPair = () => sm2.generateKeyPairHex();
export const sm2PublicKeyOf = (privateKeyHex: string) => sm2.getPublicKeyFromPrivateKey(privateKeyHex);
/** SM3 of bytes (sm-crypto-v2 answers hex). */
export const sm3Digest = (bytes: Uint8Array): Buffer => Buffer.from(sm3(bytes), 'hex');
