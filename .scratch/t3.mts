import * as z from 'zod/mini';
const s = z.object({ name: z.string().check(z.minLength(1)), amountFen: z.int().check(z.positive()), at: z.iso.datetime() });
console.log(JSON.stringify(z.toJSONSchema(s)));
