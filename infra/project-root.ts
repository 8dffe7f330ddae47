import { fileURLToPath } from 'node:url';

/** The repository's root, with a trailing slash. Its own module, so the CLI can use it without loading the CDK. */
export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));
