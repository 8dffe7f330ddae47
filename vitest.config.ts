import { defineConfig } from 'vitest/config';
import { E2eLastSequencer } from './test/setup/sequencer.ts';

/** Unit files that must not share modules with others (see the unit projects below). */
const ISOLATED_UNIT_FILES = [
  'test/unit/fuzz/*.test.ts',
  'test/unit/identity/audit-unavailable.test.ts',
  'test/unit/identity/key-rotation.test.ts',
  'test/unit/identity/logout-and-client-audit.in-process.test.ts',
  'test/unit/identity/malformed-input.test.ts',
  'test/unit/tracing.test.ts',
];

// One project per kind of test; `npm test` runs them all after the type check.
export default defineConfig({
  test: {
    // vitest's default is one worker fewer than the cores, one on a 2-core machine; much of the suite
    // waits on DynamoDB Local, `npm start` and child processes, so three keep both cores busy
    // (`npm test` on a clean clone: 282 s of vitest with two, 266 s with three).
    maxWorkers: 3,
    sequence: { sequencer: E2eLastSequencer },
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // On with --coverage (`npm test`). The provider adds what ran in the Lambda sandboxes and in the
    // `npm start` child to vitest's own V8 coverage: see test/setup/coverage-provider.ts.
    coverage: {
      provider: 'custom',
      customProviderModule: 'test/setup/coverage-provider.ts',
      include: ['{functions,shared,local,infra,cli,scripts}/**/*.ts'],
      exclude: ['**/node_modules/**', '**/cdk.out/**', 'test/**', 'bench/**'],
      reporter: ['text-summary', 'html', 'lcov'],
      reportsDirectory: 'coverage',
      // Floors a little below what `npm test` measures: raise them as coverage rises, never lower them.
      thresholds: {
        'functions/**': { lines: 92, branches: 80 },
        'shared/**': { lines: 91, branches: 87 },
      },
    },
    projects: [
      // A cold CDK synth (local-synth.test.ts) takes over 5 s on a loaded machine, more under coverage.
      // Unit files share their worker's modules (isolate: false): a fresh module graph per file cost
      // about a third of the project's time. Files that mock modules (vi.mock) or drive the identity
      // function in-process keep their own, since what they replace or seed would leak into the next file.
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: ISOLATED_UNIT_FILES,
          isolate: false,
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'unit-isolated',
          include: ISOLATED_UNIT_FILES,
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/embedded-aws.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          // Files share a worker's modules, so the default app is synthesized once per worker (test/infra/synth.ts).
          isolate: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/target.ts'],
          setupFiles: ['test/setup/e2e-client.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
