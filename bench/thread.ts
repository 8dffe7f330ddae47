// Bench code run in a worker thread of the runtime's process: the kind of thread a local sandbox is
// (local/lambda-host.ts), so that bare round trips can be timed from where the function makes them.
import { Worker } from 'node:worker_threads';
import type { TimedElsewhere } from './table.ts';

/** Calls into a module's factory result, in its own thread. `call` resolves with the call's time there. */
export interface ThreadCalls<A> {
  call(name: string, arg: A): Promise<TimedElsewhere>;
  close(): Promise<void>;
}

/**
 * Starts a worker that imports `moduleUrl` (TypeScript, through tsx) and calls `factory(options)`
 * there; each `call(name, arg)` runs that result's `name(arg)` in the worker, timed there (the
 * message to the worker and back is not part of it). `options` and `arg` cross by structured clone.
 */
export async function inThread<A>(moduleUrl: URL, factory: string, options: unknown): Promise<ThreadCalls<A>> {
  const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), {
    workerData: { moduleUrl: moduleUrl.href, factory, options },
  });
  const waiting = new Map<number, { resolve: (timed: TimedElsewhere) => void; reject: (error: Error) => void }>();
  let next = 0;
  const failAll = (error: Error) => {
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  worker.on('error', failAll);
  worker.on('exit', () => failAll(new Error('the bench thread exited')));
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  worker.on('message', ({ id, error, elapsedMs }: { id: number; error?: string; elapsedMs: number }) => {
    const call = waiting.get(id);
    waiting.delete(id);
    if (error) call?.reject(new Error(error));
    else call?.resolve({ elapsedMs });
  });
  return {
    call: (name, arg) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, name, arg });
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}
