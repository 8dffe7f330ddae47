import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startFauxqs } from 'fauxqs';

/** Where each AWS service answers. */
export interface AwsEndpoints {
  dynamodb: string;
  sqs: string;
  s3: string;
  sns: string;
}

export interface EmbeddedAwsOptions {
  /** DynamoDB Local keeps its files here; pass undefined for an in-memory database. */
  dataDir?: string;
  dynamodbPort: number;
  /** fauxqs serves SQS, S3 and SNS on one port, like LocalStack's 4566. */
  servicesPort: number;
  region: string;
  log?: (line: string) => void;
}

export class JavaMissingError extends Error {
  constructor() {
    super(
      'DynamoDB Local needs Java 17 or newer: install it with `apt-get install openjdk-17-jre-headless` and run again.',
    );
  }
}

const require = createRequire(import.meta.url);
const emulatorDir = () => join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** DynamoDB answers any POST with a JSON error when it is up; that is enough to know it listens. */
async function dynamodbAnswers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
      signal: AbortSignal.timeout(1_000),
    });
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000} s`);
}

/** AWS's own DynamoDB emulator, the jar that ships inside amplify-dynamodb-simulator. */
export class DynamoDbLocal {
  private process?: ChildProcess;
  readonly endpoint: string;

  constructor(private readonly options: Pick<EmbeddedAwsOptions, 'dataDir' | 'dynamodbPort' | 'log'>) {
    this.endpoint = `http://127.0.0.1:${options.dynamodbPort}`;
  }

  async start(): Promise<void> {
    if (spawnSync('java', ['-version']).error) throw new JavaMissingError();
    if (await dynamodbAnswers(this.endpoint))
      throw new Error(`port ${this.options.dynamodbPort} is taken: something already answers at ${this.endpoint}`);
    const dir = emulatorDir();
    const storage = this.options.dataDir ? ['-dbPath', this.options.dataDir] : ['-inMemory'];
    if (this.options.dataDir) mkdirSync(this.options.dataDir, { recursive: true });
    const child = spawn(
      'java',
      [
        '-Xmx512m',
        `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
        '-jar',
        join(dir, 'DynamoDBLocal.jar'),
        '-sharedDb',
        ...storage,
        '-port',
        String(this.options.dynamodbPort),
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process = child;
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`DynamoDB Local exited with code ${code}: ${output.trim().slice(-500)}`)),
      ),
    );
    exited.catch(() => undefined);
    await Promise.race([waitFor('DynamoDB Local', () => dynamodbAnswers(this.endpoint), 30_000), exited]);
    this.options.log?.(
      `DynamoDB Local on ${this.endpoint}${this.options.dataDir ? ` (data in ${this.options.dataDir})` : ' (in memory)'}`,
    );
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
    await exited;
  }
}

export interface EmbeddedAws {
  endpoints: AwsEndpoints;
  dynamodb: DynamoDbLocal;
  fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local and fauxqs side by side and waits until both answer. */
export async function startEmbeddedAws(options: EmbeddedAwsOptions): Promise<EmbeddedAws> {
  const dynamodb = new DynamoDbLocal(options);
  const [fauxqs] = await Promise.all([
    startFauxqs({ port: options.servicesPort, logger: false, defaultRegion: options.region }),
    dynamodb.start(),
  ]).catch(async (error: unknown) => {
    await dynamodb.stop();
    throw error;
  });
  options.log?.(`fauxqs (SQS, S3, SNS) on ${fauxqs.address}`);
  const services = `http://127.0.0.1:${fauxqs.port}`;
  return {
    endpoints: { dynamodb: dynamodb.endpoint, sqs: services, s3: services, sns: services },
    dynamodb,
    fauxqs,
    async stop() {
      await Promise.allSettled([dynamodb.stop(), fauxqs.stop()]);
    },
  };
}

/** A LocalStack (or any single AWS endpoint) that is already running. */
export async function externalEndpoints(url: string): Promise<AwsEndpoints | undefined> {
  try {
    const response = await fetch(new URL('/_localstack/health', url), { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
  } catch {
    return undefined;
  }
  const base = url.replace(/\/$/, '');
  return { dynamodb: base, sqs: base, s3: base, sns: base };
}
