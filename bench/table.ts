// The one shape every bench area returns, and the one table `npm run bench` prints from it.
import { performance } from 'node:perf_hooks';

/**
 * One measured figure. Latency rows fill p50Ms, p99Ms and perSecond; other rows a value and its unit.
 * A ratio is always this row's figure against a baseline measured in the same run, named in `against`.
 */
export interface BenchRow {
  area: string;
  measure: string;
  value?: number;
  unit?: string;
  p50Ms?: number;
  p99Ms?: number;
  perSecond?: number;
  ratio?: number;
  against?: string;
}

export const percentile = (samples: readonly number[], p: number): number =>
  [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** Per-request latencies of one caller, and the rate they add up to. */
export interface Latencies {
  samples: number[];
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
}

export function latencies(samples: number[], wallMs: number): Latencies {
  return {
    samples,
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    perSecond: samples.length / (wallMs / 1000),
  };
}

/** `rounds` calls one after another, after `warm` unmeasured ones: each call's latency and the rate. */
export async function serial(rounds: number, run: (i: number) => Promise<unknown>, warm = 10): Promise<Latencies> {
  for (let i = 0; i < warm; i++) await run(-1 - i);
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < rounds; i++) {
    const begun = performance.now();
    await run(i);
    samples.push(performance.now() - begun);
  }
  return latencies(samples, performance.now() - started);
}

/** A call's own time, measured where it ran: without the hop to another thread and back. */
export interface TimedElsewhere {
  elapsedMs: number;
}

/**
 * Callers measured in turns, `rounds` calls each after `warm` unmeasured ones of each: blocks of
 * `block` calls of one side, then as many of the next, the side that goes first rotating block by
 * block. All sides meet the same emulator state (DynamoDB Local's JIT, its table sizes) and the same
 * machine load, which loops one after the other do not; in blocks, few calls follow one of another
 * side, which leaves work behind (a sandbox's garbage collection, DynamoDB Local's) that slows the
 * next call by up to a millisecond. The rate is calls ÷ the time spent in them. A side whose call
 * resolves to `{ elapsedMs }` timed itself where it ran (another thread): that is its sample.
 */
export async function sideBySide(
  rounds: number,
  sides: readonly ((i: number) => Promise<unknown>)[],
  warm = 10,
  block = 10,
): Promise<Latencies[]> {
  const samples = sides.map((): number[] => []);
  const measured = async (side: number, i: number) => {
    const begun = performance.now();
    const result = await sides[side]!(i);
    const elapsed = (result as TimedElsewhere | undefined)?.elapsedMs ?? performance.now() - begun;
    if (i >= 0) samples[side]!.push(elapsed);
  };
  const blocks: [number, number][] = [];
  for (let i = -warm; i < 0; i += block) blocks.push([i, Math.min(i + block, 0)]);
  for (let i = 0; i < rounds; i += block) blocks.push([i, Math.min(i + block, rounds)]);
  for (const [k, [from, to]] of blocks.entries())
    for (let turn = 0; turn < sides.length; turn++) {
      const side = (k + turn) % sides.length;
      for (let i = from; i < to; i++) await measured(side, i);
    }
  const spent = (list: number[]) => list.reduce((sum, ms) => sum + ms, 0);
  return samples.map((list) => latencies(list, spent(list)));
}

/** An endpoint's latency row beside the bare emulator round trips it needs, timed the same way. */
export function endpointRow(
  area: string,
  measure: string,
  endpoint: Latencies,
  bare: Latencies,
  bareIs: string,
): BenchRow[] {
  return [
    {
      area,
      measure,
      p50Ms: endpoint.p50Ms,
      p99Ms: endpoint.p99Ms,
      perSecond: endpoint.perSecond,
      ratio: endpoint.p50Ms / bare.p50Ms,
      against: `p50 ÷ p50 of the bare round trips below`,
    },
    {
      area,
      measure: `↳ bare round trips it needs: ${bareIs}`,
      p50Ms: bare.p50Ms,
      p99Ms: bare.p99Ms,
      perSecond: bare.perSecond,
    },
  ];
}

const fixed = (n: number) =>
  Number.isInteger(n)
    ? String(n)
    : n.toFixed(Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : Math.abs(n) >= 1 ? 2 : 3);
const cell = (n: number | undefined) => (n === undefined ? '' : fixed(n));
const valueCell = (row: BenchRow) =>
  row.value === undefined
    ? ''
    : `${fixed(row.value)}${row.unit && !row.unit.startsWith('/') ? ' ' : ''}${row.unit ?? ''}`;

const TABLE_HEADER = '| area | measure | value | p50 ms | p99 ms | per s | ratio | ratio is |';

/** The markdown table: one line per row, the columns of TABLE_HEADER. */
export function formatTable(rows: readonly BenchRow[]): string {
  const lines = [TABLE_HEADER, '|---|---|--:|--:|--:|--:|--:|---|'];
  for (const row of rows) {
    const ratio = row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`;
    const measure = row.measure.replaceAll('|', '\\|');
    lines.push(
      `| ${row.area} | ${measure} | ${valueCell(row)} | ${cell(row.p50Ms)} | ${cell(row.p99Ms)} | ${cell(row.perSecond)} | ${ratio} | ${row.against ?? ''} |`,
    );
  }
  return lines.join('\n');
}

/** Operations per second over about `ms` milliseconds, after `warm` unmeasured runs. */
export async function rate(run: () => unknown, ms = 1500, warm = 30): Promise<number> {
  for (let i = 0; i < warm; i++) await run();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    await run();
    count += 1;
  }
  return count / ((performance.now() - started) / 1000);
}
