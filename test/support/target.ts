import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { FAILED, STARTED } from './target-status.ts';

export const target = inject('target');
if (target.skipReason) console.warn(`e2e journeys skipped: ${target.skipReason}`);
if (target.starting) await untilStarted(target.localDir!);

/** `npm start` began with the run (test/setup/target.ts): its outcome, once there is one. */
async function untilStarted(dir: string): Promise<void> {
  const deadline = Date.now() + 200_000;
  while (!existsSync(join(dir, STARTED))) {
    if (existsSync(join(dir, FAILED))) throw new Error(readFileSync(join(dir, FAILED), 'utf8'));
    if (Date.now() > deadline) throw new Error(`npm start wrote neither ${STARTED} nor ${FAILED} in ${dir}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

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
