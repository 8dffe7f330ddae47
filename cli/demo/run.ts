import { auditTarget } from '../audit-target.ts';
import { CliError } from '../target.ts';
import { JourneyError } from './http.ts';
import { problems, runJourneys } from './journeys.ts';
import { Recorder, type Step } from './record.ts';
import { seedProvince } from './seed.ts';
import { provinceFrom, type ProvinceOptions } from './setup.ts';

interface DemoOptions extends ProvinceOptions {
  seed: boolean;
  bucket?: string;
  region?: string;
  table?: string;
  auditKey?: string;
  trustedKey?: string[];
}

const TITLES: Record<Step['journey'], string> = {
  seed: 'Seeding a small province',
  hotline: 'Journey 1 · a citizen and the 12345 hotline',
  payment: 'Journey 2 · a payment, its receipt licence, and its revocation',
  audit: 'Journey 3 · the auditor',
};

/** `dgov demo`: the steps as they happen (or the whole record with --json); the exit code. */
export async function runDemo(options: DemoOptions, json: boolean): Promise<number> {
  // A new channel is stored where `npm start` reads it: a deployed stage needs one made for it.
  if (options.bucket && !options.channelFile)
    throw new CliError('--channel-file is needed against a deployed stage (`dgov channels create --stage … --json`)');
  const province = provinceFrom(options);
  const { bucket, region, table, auditKey, trustedKey } = options;
  const cliFlags = { bucket, region, table, auditKey, trustedKey };
  const target = auditTarget(cliFlags);
  let shown: Step['journey'] | undefined;
  const print = (step: Step) => {
    if (json) return;
    if (step.journey !== shown) console.log(`\n${TITLES[(shown = step.journey)]}`);
    console.log(`  ${step.at.toFixed(1).padStart(5)} s  ${step.actor} ${step.did}\n           → ${step.result}`);
  };
  if (!json) console.log(`dgov demo against ${province.api.url}`);
  const started = Date.now();
  try {
    const seeded = options.seed ? await seedProvince(province, new Recorder(print)) : undefined;
    const record = await runJourneys(province, {
      onStep: print,
      audit: { target, cliFlags, tamper: !bucket },
    });
    const found = problems(record);
    if (json) console.log(JSON.stringify({ seeded, ...record, problems: found }, null, 2));
    else {
      for (const problem of found) console.log(`PROBLEM  ${problem}`);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        found.length
          ? `\n${found.length} problem(s) in ${seconds} s`
          : `\nEvery step went as it should, in ${seconds} s.`,
      );
    }
    return found.length ? 1 : 0;
  } catch (error) {
    if (error instanceof JourneyError) throw new CliError(`the demo stopped: ${error.message}`);
    throw error;
  }
}
