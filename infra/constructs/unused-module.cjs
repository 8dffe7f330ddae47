// Stands in for a dependency a bundle imports but never calls (DgovFunctionProps.unusedModules):
// any use of it fails loudly instead of working differently.
const refuse = () => {
  throw new Error('this module is not bundled: it was declared unused (infra/constructs/dgov-function.ts)');
};
module.exports = new Proxy(refuse, { get: (_target, name) => (name === '__esModule' ? false : refuse) });
