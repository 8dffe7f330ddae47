import { inject } from 'vitest';

export const target = inject('target');
if (target.skipReason) console.warn(`e2e journeys skipped: ${target.skipReason}`);

/** A request against the target, with the parts journeys assert on. */
export async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(`${target.apiUrl}${path}`, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body: body as Record<string, unknown>, text };
}
