// Stands in for a dependency a bundle imports but never calls (DgovFunctionProps.unusedModules).
// While the bundle loads, whatever the importer does with it at module level (extend it, make a
// default instance) yields inert stand-ins; once loaded, any call or construction throws.
let loading = true;
setImmediate(() => {
  loading = false;
});
function unused() {
  if (loading) return stub;
  throw new Error('this module is not bundled: it was declared unused (infra/constructs/dgov-function.ts)');
}
// Named imports an importer may take (esbuild copies the own keys of a CommonJS module).
const NAMES = ['Agent', 'ProxyAgent', 'default'];
for (const name of NAMES) Object.defineProperty(unused, name, { get: () => stub, enumerable: true });
const stub = new Proxy(unused, {
  get: (target, name) => (name === 'prototype' ? target.prototype : name === '__esModule' ? false : stub),
  construct: () => (loading ? stub : unused()),
});
module.exports = stub;
