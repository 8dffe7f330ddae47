// Preloaded (NODE_OPTIONS=--import) into the child processes of `npm test` while it measures
// coverage (test/setup/coverage-provider.ts sets both variables): `npm start` for the e2e
// project, the CLI the e2e tests run. In a process whose entry point is one of the project's
// files, it collects precise V8 coverage of the main thread and, at exit, writes the counts of the
// project's scripts with the code V8 ran (tsx's output, which carries its inline source map).
// Lambda sandboxes write their own (local/lambda-worker.mjs); every other process is left alone.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.DGOV_COVERAGE_DIR;
const root = new URL('../../', import.meta.url).href;
const entry = process.argv[1] ? pathToFileURL(process.argv[1]).href : '';
const ours = (url) => url.startsWith(root) && !url.includes('/node_modules/') && url !== import.meta.url;

if (dir && isMainThread && ours(entry)) {
  const session = new Session();
  session.connect();
  // The same-thread session answers synchronously, so the exit handler can use it.
  const post = (method, params) => {
    let answer;
    session.post(method, params, (error, result) => {
      if (error) throw error;
      answer = result;
    });
    return answer;
  };
  const scripts = new Map();
  session.on('Debugger.scriptParsed', ({ params }) => {
    if (ours(params.url)) scripts.set(params.scriptId, params.url);
  });
  post('Profiler.enable');
  post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  post('Debugger.enable');
  process.on('exit', () => {
    const result = [];
    for (const script of post('Profiler.takePreciseCoverage').result) {
      if (!scripts.has(script.scriptId)) continue;
      const code = post('Debugger.getScriptSource', { scriptId: script.scriptId }).scriptSource;
      const source = createHash('sha1').update(code).digest('hex');
      const sourceFile = join(dir, 'sources', `${source}.json`);
      if (!existsSync(sourceFile)) {
        mkdirSync(join(dir, 'sources'), { recursive: true });
        writeFileSync(`${sourceFile}.${process.pid}`, JSON.stringify({ url: script.url, code }));
        renameSync(`${sourceFile}.${process.pid}`, sourceFile);
      }
      result.push({ ...script, source });
    }
    if (result.length > 0) writeFileSync(join(dir, `child-${process.pid}.json`), JSON.stringify({ result }));
  });
}
