// The empty bundle of `npm run bench`: a handler that does nothing, bundled as every function is,
// the baseline a function's cold start is compared with (bench/functions.ts).
export const handler = async (): Promise<{ statusCode: number; body: string }> => ({ statusCode: 200, body: '' });
