import { randomInt } from 'node:crypto';
import { creditCodeCheckChar, idNumberCheckDigit } from '../../shared/identifiers.ts';
import {
  type Api,
  basic,
  CookieJar,
  expectStatus,
  hiddenFields,
  JourneyError,
  pkce,
  sleep,
  type Answer,
} from './http.ts';

/**
 * What the journeys need to know of a deployment besides its URL: the demo clients' secrets
 * (infra/capabilities/identity/seed.ts and hotline/seed.ts register them; `npm start` keeps them
 * in .local/demo-clients.json) and a payment channel with its secret (`dgov channels create`).
 */
export interface Province {
  api: Api;
  secrets: Record<string, string>;
  channel: { id: string; secret: string };
}

export interface Person {
  accountId: string;
  idNumber: string;
  name: string;
  password: string;
}

/** A department's own token (client credentials), with the scopes it asks for. */
export async function clientToken(province: Province, clientId: string, scope: string): Promise<string> {
  const secret = province.secrets[clientId];
  if (!secret) throw new JourneyError(`no secret for the demo client ${clientId}: is it in the clients file?`);
  const answer = await province.api.form(
    '/oauth2/token',
    { grant_type: 'client_credentials', scope },
    { authorization: basic(clientId, secret) },
  );
  return String(expectStatus(answer, 200, `${clientId} asks for a token`).body.access_token);
}

/** A resident ID number with a valid check digit, born 1960-1999 in Qingdao's Shinan district. */
export function newIdNumber(): string {
  const birth = `${1960 + randomInt(40)}${String(1 + randomInt(12)).padStart(2, '0')}${String(1 + randomInt(28)).padStart(2, '0')}`;
  const first17 = `370202${birth}${String(randomInt(1000)).padStart(3, '0')}`;
  return first17 + idNumberCheckDigit(first17);
}

/** A unified social credit code with a valid check character (a company, 91…). */
export function newCreditCode(): string {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const body = Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]).join('');
  const first17 = `91370202${body}X`.slice(0, 17);
  return first17 + creditCodeCheckChar(first17);
}

/**
 * A citizen registers (POST /identity/accounts). Right after a start DynamoDB Local may still be warming
 * up: a 503 says to try again, as any client would; a 409 is an ID number already taken, so another.
 */
export async function register(
  province: Province,
  name: string,
  phone = `139${String(randomInt(1e8)).padStart(8, '0')}`,
) {
  const password = `Demo-${randomInt(1e9)}-Pw`;
  for (let attempt = 0; attempt < 20; attempt++) {
    const idNumber = newIdNumber();
    const answer = await province.api.post('/identity/accounts', {
      type: 'citizen',
      idNumber,
      name,
      phone,
      password,
    });
    if (answer.status === 201) return { accountId: String(answer.body.accountId), idNumber, name, password };
    if (answer.status !== 409 && answer.status < 500) expectStatus(answer, 201, `${name} registers`);
    if (answer.status >= 500) await sleep(1000);
  }
  throw new JourneyError(`${name} could not register`);
}

/**
 * Signs a person in at the SSO as a browser would: the login page a client's authorization request
 * shows, the password posted with its hidden fields and cookie, the redirect carrying the code.
 * Returns the redirect's URL (the client's callback with `code` and `state`).
 */
export async function signIn(province: Province, authorizeUrl: string, person: Person, jar: CookieJar) {
  const page = await fetch(authorizeUrl, { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.store(page);
  const html = await page.text();
  if (page.status !== 200) throw new JourneyError(`the login page answered ${page.status}: ${html.slice(0, 300)}`);
  const submitted = await province.api.form(
    '/oauth2/authorize',
    { ...hiddenFields(html), username: person.idNumber, password: person.password },
    { cookie: jar.header() },
  );
  jar.store(submitted);
  const location = submitted.headers.get('location');
  if (submitted.status !== 302 || !location)
    throw new JourneyError(`${person.name} signs in: answered ${submitted.status}: ${submitted.text.slice(0, 300)}`);
  return new URL(location, province.api.url);
}

export const PORTAL = { clientId: 'demo-portal', redirectUri: 'http://127.0.0.1:8080/callback' };

/** The citizen portal's sign-in: the authorization code flow with PKCE; the portal's tokens. */
export async function portalTokens(province: Province, person: Person) {
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: PORTAL.clientId,
    redirect_uri: PORTAL.redirectUri,
    scope: 'openid profile',
    state: String(randomInt(1e9)),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const back = await signIn(province, `${province.api.url}/oauth2/authorize?${query}`, person, new CookieJar());
  const code = back.searchParams.get('code');
  if (!code) throw new JourneyError(`the SSO redirected without a code: ${back}`);
  const tokens: Answer = await province.api.form('/oauth2/token', {
    grant_type: 'authorization_code',
    client_id: PORTAL.clientId,
    code,
    redirect_uri: PORTAL.redirectUri,
    code_verifier: verifier,
  });
  expectStatus(tokens, 200, `${person.name} exchanges the code`);
  return { accessToken: String(tokens.body.access_token), idToken: String(tokens.body.id_token) };
}
