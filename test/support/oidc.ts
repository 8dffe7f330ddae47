/** The browser side of the SSO, as the demo walks it (cli/demo/http.ts): one implementation for both. */
export { basic, CookieJar, hiddenFields as formFields, pkce } from '../../cli/demo/http.ts';

export const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

/** Valid sample identifiers: check digits computed, birth dates real. */
export { idNumberCheckDigit, creditCodeCheckChar } from '../../shared/identifiers.ts';
