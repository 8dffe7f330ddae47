import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { buildApp } from 'fauxqs';

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
  /** Stopped by freeze() (SIGSTOP) and not yet thawed. */
  private frozen = false;
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
        // The client compiler only, and one GC thread: on 2 cores the JVM otherwise spends as much CPU
        // compiling and collecting as serving. Measured on 1,800 and 9,000 requests from a cold start:
        // half the JVM's CPU (6.7 → 3.2 s, 12.1 → 6.0 s), and it answers sooner.
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
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
    if (this.frozen) this.thaw(); // a stopped process takes no SIGTERM until it runs again
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
    await exited;
  }

  // Fault controls for tests (test/integration/faults.test.ts); `npm start` never calls them.

  /**
   * A hung DynamoDB: SIGSTOP. Its kernel still accepts connections and requests, nothing answers;
   * what was sent meanwhile is applied after thaw(), when the caller may have given up on it.
   */
  freeze(): void {
    if (!this.process?.pid) throw new Error('DynamoDB Local is not running');
    process.kill(this.process.pid, 'SIGSTOP');
    this.frozen = true;
  }

  /** SIGCONT: the frozen process runs on, and answers what waited in its sockets. */
  thaw(): void {
    if (!this.frozen || !this.process?.pid) return;
    process.kill(this.process.pid, 'SIGCONT');
    this.frozen = false;
  }

  /**
   * Stops the process (SIGTERM) and starts a new one on the same port and data directory, after
   * `downMs`. Only with a data directory: an in-memory DynamoDB Local would come back empty.
   */
  async restart(downMs = 0): Promise<void> {
    if (!this.options.dataDir) throw new Error('an in-memory DynamoDB Local loses its tables when restarted');
    await this.stop();
    await sleep(downMs);
    await this.start();
  }
}

/**
 * fauxqs (SQS, S3, SNS in one process), built from its app so that its listener can be closed and
 * opened again on the same port while queues, messages and objects stay in memory: a service that
 * is down for a while and comes back with its state, as a real one would.
 */
export class Fauxqs {
  private constructor(
    private readonly app: ReturnType<typeof buildApp>,
    readonly port: number,
  ) {}

  static async start(options: { port: number; region: string }): Promise<Fauxqs> {
    const app = buildApp({ logger: false, defaultRegion: options.region });
    await app.listen({ port: options.port, host: '0.0.0.0' });
    return new Fauxqs(app, (app.server.address() as AddressInfo).port);
  }

  get address(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private get server(): Server {
    return this.app.server;
  }

  /**
   * Down, as a service stopped by its operator: no new connections (refused), requests in flight
   * answered (up to 1 s, long polls included), then every connection closed. A request that gets
   * no connection has not happened, so whoever sent it may safely send it again.
   */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const open = () =>
      new Promise<number>((resolve) => this.server.getConnections((error, count) => resolve(error ? 0 : count)));
    this.server.closeIdleConnections();
    for (const started = Date.now(); (await open()) > 0 && Date.now() - started < 1_000; ) {
      await sleep(25);
      this.server.closeIdleConnections();
    }
    this.server.closeAllConnections();
    await closed;
  }

  /** Up again on the same port, with everything it held. */
  async up(): Promise<void> {
    if (this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    await this.app.close();
  }
}

export interface EmbeddedAws {
  endpoints: AwsEndpoints;
  dynamodb: DynamoDbLocal;
  fauxqs: Fauxqs;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local and fauxqs side by side and waits until both answer. */
export async function startEmbeddedAws(options: EmbeddedAwsOptions): Promise<EmbeddedAws> {
  const dynamodb = new DynamoDbLocal(options);
  const [fauxqs] = await Promise.all([
    Fauxqs.start({ port: options.servicesPort, region: options.region }),
    dynamodb.start(),
  ]).catch(async (error: unknown) => {
    await dynamodb.stop();
    throw error;
  });
  options.log?.(`fauxqs (SQS, S3, SNS) on ${fauxqs.address}`);
  const services = fauxqs.address;
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
