// The worker side of bench/thread.ts: loads a TypeScript bench module through tsx, builds its calls,
// answers each call with its id and its time here (or the error's stack when it failed).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const module = await import(workerData.moduleUrl);
const calls = await module[workerData.factory](workerData.options);
parentPort.on('message', async ({ id, name, arg }) => {
  try {
    const begun = performance.now();
    await calls[name](arg);
    parentPort.postMessage({ id, elapsedMs: performance.now() - begun });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error?.stack ?? error) });
  }
});
parentPort.postMessage({ ready: true });
