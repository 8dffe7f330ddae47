import { gzipSync } from 'node:zlib';
import { STATUS_LIST_BITS } from '../model.ts';

/**
 * W3C Bitstring Status List v1.0: the list is GZIP-compressed, then base64url-encoded with the
 * multibase prefix `u`; bit 0 is the most significant bit of the first byte.
 */
export function encodeStatusList(revoked: readonly number[]): string {
  const bits = Buffer.alloc(STATUS_LIST_BITS / 8);
  for (const index of revoked) {
    if (!Number.isInteger(index) || index < 0 || index >= STATUS_LIST_BITS) continue;
    bits[index >> 3]! |= 0x80 >> (index & 7);
  }
  return `u${gzipSync(bits).toString('base64url')}`;
}

/** The status list credential (unsigned; the handler adds the seal as its proof). */
export function statusListCredential(listUrl: string, issuerUrl: string, revoked: readonly number[], now: Date) {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: listUrl,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: issuerUrl,
    validFrom: now.toISOString(),
    credentialSubject: {
      id: `${listUrl}#list`,
      type: 'BitstringStatusList',
      statusPurpose: 'revocation',
      encodedList: encodeStatusList(revoked),
    },
  };
}
