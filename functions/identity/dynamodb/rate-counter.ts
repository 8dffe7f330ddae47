import type { RateCounter } from '../ports.ts';
import { windowOf, type IdentityTable } from './table.ts';

export const dynamoRateCounter = (table: IdentityTable): RateCounter => ({
  hit: (key, now, windowSeconds) =>
    table.increment(`rate#${key}#${windowOf(now, windowSeconds)}`, 'rate', now, windowSeconds),
});
