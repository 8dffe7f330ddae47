/** Files test/setup/target.ts writes in `npm start`'s directory once it is ready, or could not start. */
export const STARTED = 'e2e-started';
export const FAILED = 'e2e-failed';
