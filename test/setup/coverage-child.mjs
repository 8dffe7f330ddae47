// Preloaded (NODE_OPTIONS=--import) into the child processes of `npm test` while it measures
// coverage (test/setup/coverage-provider.ts sets both variables): `npm start` for the e2e
// project, the CLI the e2e tests run. In a process whose entry point is one of the project's
// files, it collects precise V8 coverage of the main thread and, at exit, writes the counts of the
// project's scripts with the code V8 ran (tsx's output, which carries its inline source map).
// Lambda sandboxes write their own (local/lambda-worker.mjs); every other process is left alone.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { keepSource, startPreciseCoverage } from '../../local/v8-coverage.mjs';

const dir = process.env.DGOV_COVERAGE_DIR;
const root = new URL('../../', import.meta.url).href;
const entry = process.argv[1] ? pathToFileURL(process.argv[1]).href : '';
const ours = (url) => url.startsWith(root) && !url.includes('/node_modules/') && url !== import.meta.url;

if (dir && isMainThread && ours(entry)) {
  const { session, post } = startPreciseCoverage();
  const scripts = new Map();
  session.on('Debugger.scriptParsed', ({ params }) => {
    if (ours(params.url)) scripts.set(params.scriptId, params.url);
  });
  post('Debugger.enable');
  process.on('exit', () => {
    const result = [];
    for (const script of post('Profiler.takePreciseCoverage').result) {
      if (!scripts.has(script.scriptId)) continue;
      const code = post('Debugger.getScriptSource', { scriptId: script.scriptId }).scriptSource;
      const source = keepSource(dir, script.url, code, undefined, process.pid);
      result.push({ ...script, source });
    }
    if (result.length > 0) writeFileSync(join(dir, `child-${process.pid}.json`), JSON.stringify({ result }));
  });
}
