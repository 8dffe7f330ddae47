import { randomInt } from 'node:crypto';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * Each e2e file calls the target from a loopback address of its own, drawn from 127.1.0.0/16 (the
 * HTTP fuzz takes 127.0.0.2–254), as separate clients would, so one file's requests do not spend
 * another's per-address limits (registrations per minute, login lockouts). Only for `npm start`: other targets see the machine's own address anyway.
 */
if (!process.env.DGOV_TARGET || process.env.DGOV_TARGET === 'embedded') {
  const dispatcher = new Agent({ localAddress: `127.1.${randomInt(0, 256)}.${randomInt(1, 255)}` });
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}
