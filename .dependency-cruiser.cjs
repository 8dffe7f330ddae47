/**
 * Dependency rules, checked in `npm test` (npm run deps). Dependencies point inwards: a
 * capability's Lambda code uses only shared/ and its own folder; domain code uses no AWS SDK;
 * nothing imports the tests but the tests.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle makes load order matter and splits one concern across two files.',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'functions-use-shared-and-own-folder',
      severity: 'error',
      comment: 'A Lambda bundle must not pull in another capability, the CDK app, the CLI or the local runtime.',
      from: { path: '^functions/([^/]+)/' },
      to: {
        path: '^(infra|cli|local|bench|test|scripts)/|^functions/[^/]+/',
        pathNot: ['^functions/$1/'],
      },
    },
    {
      name: 'registries-hold-manifests-only',
      severity: 'error',
      comment: 'The capability list and what derives from it import manifests (data), never handlers or stores.',
      from: { path: '^functions/[^/]+\\.ts$' },
      to: { path: '^functions/[^/]+/', pathNot: ['^functions/[^/]+/(manifest|contract|config|env)\\.ts$'] },
    },
    {
      name: 'shared-is-a-leaf',
      severity: 'error',
      comment: 'shared/ is what every function uses; it depends on no capability and no tooling.',
      from: { path: '^shared/' },
      to: { path: '^(functions|infra|cli|local|bench|test|scripts)/' },
    },
    {
      name: 'domain-without-aws-sdk',
      severity: 'error',
      comment: 'Domain code is pure: the AWS SDK belongs in stores (adapters at the edge).',
      from: { path: '^functions/[^/]+/(domain|model|use-cases/|ports)' },
      to: { path: '(^|/)node_modules/@aws-sdk/|^shared/aws/' },
    },
    {
      name: 'bench-never-imports-tests',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    {
      name: 'production-never-imports-tests',
      severity: 'error',
      from: { path: '^(functions|shared|infra|cli|local)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.local|cdk\\.out|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
