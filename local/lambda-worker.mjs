// One Lambda sandbox in miniature: a worker thread that imports one function bundle
// with its own process.env and answers invocations sent by the host (local/lambda-host.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { bundlePath, handlerName, functionName, functionArn, memorySize, logGroupName } = workerData;

const serializeError = (error) => ({
  errorType: error?.name ?? 'Error',
  errorMessage: error?.message ?? String(error),
  stack: typeof error?.stack === 'string' ? error.stack.split('\n') : [],
});

let handler;
let initError;
try {
  const module = await import(pathToFileURL(bundlePath).href);
  handler = module[handlerName];
  if (typeof handler !== 'function') throw new Error(`${bundlePath} does not export a function named "${handlerName}"`);
} catch (error) {
  initError = serializeError(error);
}
parentPort.postMessage({ type: 'ready', initError });

parentPort.on('message', async ({ id, event, deadline }) => {
  if (initError) return parentPort.postMessage({ type: 'result', id, error: initError });
  const context = {
    awsRequestId: id,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memorySize),
    logGroupName,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  try {
    const result = await handler(event, context);
    parentPort.postMessage({
      type: 'result',
      id,
      result: result === undefined ? null : JSON.parse(JSON.stringify(result)),
    });
  } catch (error) {
    parentPort.postMessage({ type: 'result', id, error: serializeError(error) });
  }
});
