// One Lambda sandbox in miniature: a worker thread that imports one function bundle
// with its own process.env and answers invocations sent by the host (local/lambda-host.ts).
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { bundlePath, handlerName, functionName, functionArn, memorySize, logGroupName, coverageDir } = workerData;
const bundleUrl = pathToFileURL(bundlePath).href;
// Set only under `npm test`'s coverage: V8 counts in this isolate, written on request and at exit.
const coverage = coverageDir ? await startCoverage(coverageDir) : undefined;

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

parentPort.on('message', async ({ type, id, event, deadline }) => {
  if (type === 'coverage') {
    coverage?.write();
    return parentPort.postMessage({ type: 'coverage-written' });
  }
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

/**
 * Precise V8 coverage of this worker's isolate (workers ignore NODE_V8_COVERAGE). The bundle's code
 * and source map are kept next to the counts, since the bundle's directory may be gone when they
 * are mapped back to the .ts sources (test/setup/coverage-provider.ts).
 */
async function startCoverage(dir) {
  const [{ startPreciseCoverage, keepSource }, fs, { join }] = await Promise.all([
    import('./v8-coverage.mjs'),
    import('node:fs'),
    import('node:path'),
  ]);
  const { post } = startPreciseCoverage();
  const mapFile = `${bundlePath}.map`;
  const map = fs.existsSync(mapFile) ? JSON.parse(fs.readFileSync(mapFile, 'utf8')) : undefined;
  const source = keepSource(dir, bundleUrl, fs.readFileSync(bundlePath, 'utf8'), map, threadId);
  let written = 0;
  const write = () => {
    const scripts = post('Profiler.takePreciseCoverage').result.filter((script) => script.url === bundleUrl);
    if (scripts.length === 0) return;
    const file = join(dir, `sandbox-${process.pid}-${threadId}-${written++}.json`);
    fs.writeFileSync(file, JSON.stringify({ result: scripts.map((script) => ({ ...script, source })) }));
  };
  process.on('exit', write);
  return { write };
}
