import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage, Stack } from 'aws-cdk-lib';
import { Architecture, Code, type ILayerVersion, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';
import { buildSync } from 'esbuild';
import { PROJECT_ROOT } from '../project-root.ts';

/** The module the layer provides, so the functions' bundles leave it out (as they leave out the SDK). */
export const TRACER_MODULE = '@aws-lambda-powertools/tracer';

/** ESM bundles still meet CommonJS dependencies that call require(); give them one. */
export const REQUIRE_SHIM =
  "import{createRequire as __dgovCreateRequire}from'node:module';const require=__dgovCreateRequire(import.meta.url);";

/**
 * Powertools' Tracer and the X-Ray SDK it needs (about 126 KB minified) as one Lambda layer per
 * stack, rather than in every function's bundle: how Powertools' authors ship it (their public
 * layer, which the China regions do not have). Lambda puts a layer's `nodejs/node_modules` on the
 * module path, so `import … from '@aws-lambda-powertools/tracer'` finds it there; locally the
 * same import finds the project's node_modules, as `@aws-sdk/*` does.
 */
export class TracerLayer extends Construct {
  readonly layer: ILayerVersion;

  /** The stack's one tracer layer. */
  static of(scope: IConstruct): ILayerVersion {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild('TracerLayer') as TracerLayer | undefined;
    return (existing ?? new TracerLayer(stack, 'TracerLayer')).layer;
  }

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const version = (
      JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', TRACER_MODULE, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    this.layer = new LayerVersion(this, 'Layer', {
      description: `Powertools Tracer ${version} with the X-Ray SDK, for the dgov functions`,
      compatibleRuntimes: [Runtime.NODEJS_22_X],
      compatibleArchitectures: [Architecture.ARM_64],
      code: Code.fromAsset(join(PROJECT_ROOT, 'infra', 'constructs'), {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never used: the local bundler below always succeeds, so no container is started.
          image: DockerImage.fromRegistry('unused'),
          local: {
            tryBundle: (outputDir) =>
              buildTracerPackage(join(outputDir, 'nodejs', 'node_modules', TRACER_MODULE), version),
          },
        },
      }),
    });
  }
}

/** The package the functions import, as one minified ESM file with the subpath they use. */
function buildTracerPackage(dir: string, version: string): boolean {
  mkdirSync(dir, { recursive: true });
  buildSync({
    stdin: {
      contents: `export { Tracer } from '${TRACER_MODULE}';\nexport { captureLambdaHandler } from '${TRACER_MODULE}/middleware';\n`,
      resolveDir: PROJECT_ROOT,
      loader: 'js',
    },
    outfile: join(dir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    banner: { js: REQUIRE_SHIM },
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  writeFileSync(join(dir, 'middleware.mjs'), "export { captureLambdaHandler } from './index.mjs';\n");
  const exports = { '.': './index.mjs', './middleware': './middleware.mjs' };
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: TRACER_MODULE, version, type: 'module', exports })}\n`,
  );
  return true;
}
