/**
 * The clients of the fault tests (test/integration/faults.test.ts): real requests through the
 * gateway that retry a 503 as a well-behaved client does (after its Retry-After, capped so the
 * test stays short, for a bounded time), and record every answer that breaks the rule "while a
 * dependency is gone, only 2xx or 503 with Retry-After".
 */
export interface Violation {
  phase: string;
  request: string;
  status: number | string;
  detail: string;
}

export interface Sent {
  status: number;
  body: Record<string, unknown>;
  /** 503s answered before it was accepted. */
  retried: number;
}

export interface LoadOptions {
  phase: string;
  violations: Violation[];
  /** The longest a client waits before its retry, whatever Retry-After says (default 1.5 s). */
  maxWaitMs?: number;
  /** How long a client keeps retrying one request (default 45 s). */
  giveUpAfterMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends one logical request until it is accepted (2xx), retrying 503s; the same x-request-id on
 * every attempt, so the audit trail ties the attempts to one request. Undefined when it was
 * never accepted (every answer that was neither 2xx nor a proper 503 is a violation).
 */
export async function sendUntilAccepted(
  url: string,
  init: RequestInit & { headers: Record<string, string> },
  name: string,
  options: LoadOptions,
): Promise<Sent | undefined> {
  const started = Date.now();
  let retried = 0;
  for (;;) {
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      text = await response.text();
    } catch (error) {
      options.violations.push({ phase: options.phase, request: name, status: 'no answer', detail: String(error) });
      return undefined;
    }
    if (status >= 200 && status < 300) return { status, body: text ? JSON.parse(text) : {}, retried };
    const seconds = Number(retryAfter);
    if (status !== 503 || !retryAfter || !Number.isFinite(seconds) || seconds < 0) {
      options.violations.push({ phase: options.phase, request: name, status, detail: text.slice(0, 300) });
      return undefined;
    }
    if (Date.now() - started > (options.giveUpAfterMs ?? 45_000)) {
      options.violations.push({ phase: options.phase, request: name, status, detail: 'still 503 after 45 s' });
      return undefined;
    }
    retried += 1;
    await sleep(Math.min(seconds * 1000, options.maxWaitMs ?? 1_500));
  }
}

/** Polls `check` until it holds or `timeoutMs` passes; returns its last answer. */
export async function eventually<T>(check: () => Promise<T>, holds: (value: T) => boolean, timeoutMs: number) {
  let value = await check();
  for (const started = Date.now(); !holds(value) && Date.now() - started < timeoutMs; value = await check())
    await sleep(250);
  return value;
}
