/**
 * One of several demo runs racing for the demo channel (test/unit/cli/demo-channel.test.ts). Once
 * loaded it says `ready` and reads the instant to start from its stdin; from then, at each agreed
 * instant every racer asks for the channel of one fresh data directory and prints what it got.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { localDemoChannel } from '../../cli/demo/setup.ts';

const [base, rounds, everyMs] = process.argv.slice(2);
console.log('ready');
const [chunk] = (await once(process.stdin, 'data')) as [Buffer];
const startAt = Number(chunk.toString().trim());
process.stdin.destroy();
for (let round = 0; round < Number(rounds); round++) {
  const at = startAt + round * Number(everyMs);
  while (Date.now() < at); // a busy wait: timers would set the racers apart by milliseconds
  try {
    const { secret } = localDemoChannel(join(base!, `run-${round}`));
    console.log(JSON.stringify({ round, secret }));
  } catch (error) {
    console.log(JSON.stringify({ round, error: `${(error as Error).name}: ${(error as Error).message}` }));
  }
}
