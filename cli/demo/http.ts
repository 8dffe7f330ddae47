import { createHash, randomBytes } from 'node:crypto';

/** What the journeys keep of an answer: enough to show it and to assert on it. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/** The public HTTP API of one deployment (`npm start`, LocalStack or a stage): nothing but fetch. */
export class Api {
  constructor(readonly url: string) {}

  call(path: string, init: RequestInit = {}): Promise<Answer> {
    return this.absolute(`${this.url}${path}`, init);
  }

  /**
   * A URL the API itself handed out (a status list, a redirect). A 503 changed nothing and says when to
   * try again (docs/conventions.md): so a few times, as any client would, e.g. while a function starts.
   */
  async absolute(url: string, init: RequestInit = {}): Promise<Answer> {
    let response = await send(url, init);
    for (let attempt = 1; response.status === 503 && attempt < 4; attempt++) {
      await response.arrayBuffer();
      await sleep(Math.min(Number(response.headers.get('retry-after')) || 1, 3) * 1000);
      response = await send(url, init);
    }
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // an HTML page or plain text: `text` has it
    }
    return { status: response.status, headers: response.headers, body, text };
  }

  get = (path: string, token?: string) => this.call(path, token ? { headers: bearer(token) } : {});

  post = (path: string, body: unknown, token?: string, headers: Record<string, string> = {}) =>
    this.call(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}), ...headers },
      body: JSON.stringify(body),
    });

  form = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    this.call(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
}

/** fetch, with a refused connection thrown as itself (the CLI says nothing answers there). */
async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { redirect: 'manual', ...init });
  } catch (error) {
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
    throw cause?.code === 'ECONNREFUSED' ? cause : error;
  }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** An answer the journey cannot go on without; the message says what the API said. */
export class JourneyError extends Error {}

export function expectStatus(answer: Answer, wanted: number | number[], what: string): Answer {
  const allowed = Array.isArray(wanted) ? wanted : [wanted];
  if (!allowed.includes(answer.status))
    throw new JourneyError(`${what}: answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return answer;
}

/** The cookies a browser keeps for one origin, for the SSO and the work-queue page. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(answer: Answer | Response): void {
    for (const line of answer.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1);
      if (value === '' || attributes.some((attribute) => /max-age=0/i.test(attribute.trim())))
        this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  has(name: string): boolean {
    return this.cookies.has(name);
  }
}

export const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** The hidden fields of an HTML form (the SSO's login page, the work-queue page's rows). */
export function hiddenFields(html: string): Record<string, string> {
  const unescapeHtml = (text: string) =>
    text
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields[unescapeHtml(match[1]!)] = unescapeHtml(match[2]!);
  return fields;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Reads until `done` says yes, for a bounded time (routing and receipts are asynchronous). */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new JourneyError(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}
