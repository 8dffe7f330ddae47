#!/usr/bin/env node
// `npx dgov` and `npm run dgov`: runs the TypeScript CLI through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

// The SDK warns about Node 20 into stderr as soon as a client is built, and some modules the CLI
// imports build one on load (shared/crypto/kms-signer.ts): so this must precede main.ts's imports.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('./main.ts');
