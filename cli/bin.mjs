#!/usr/bin/env node
// `npx dgov` and `npm run dgov`: runs the TypeScript CLI through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

// The SDK warns about Node 20 into stderr as soon as a client is built, and some modules the CLI
// imports build one on load (shared/crypto/kms-signer.ts): so this must precede main.ts's imports.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('./main.ts');

// `dgov audit query | head` closes the pipe early; that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
