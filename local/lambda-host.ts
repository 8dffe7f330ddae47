import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';

export interface FunctionSpec {
  /** Readable name: the construct path, e.g. dgov-dev-stateless/Health. */
  displayName: string;
  functionName: string;
  functionArn: string;
  bundlePath: string;
  handlerName: string;
  timeoutSeconds: number;
  memorySize: number;
  /** Exactly what the function's process.env holds. */
  environment: Record<string, string>;
}

export class InvocationError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly trace: string[] = [],
  ) {
    super(message);
    this.name = errorType;
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const WORKER_SCRIPT = new URL('./lambda-worker.mjs', import.meta.url);
/** Set by `npm test` when it measures coverage: each sandbox writes its V8 coverage there. */
const COVERAGE_DIR = process.env.DGOV_COVERAGE_DIR || undefined;

/**
 * Runs one function from its bundle in its own worker thread, with exactly the environment
 * the template gives it (a worker's process.env is its own copy). A timeout or a crash
 * discards the worker, as Lambda discards a sandbox; the next invocation starts a cold one.
 */
export class LambdaHost {
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly pending = new Map<string, Pending>();
  coldStarts = 0;

  constructor(
    readonly spec: FunctionSpec,
    private readonly output: (name: string, line: string) => void,
  ) {}

  async invoke(event: unknown): Promise<unknown> {
    await this.start();
    const id = randomUUID();
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new InvocationError('Sandbox.Timedout', `Task timed out after ${this.spec.timeoutSeconds} seconds`));
        void this.discard();
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker!.postMessage({ id, event, deadline: Date.now() + timeoutMs });
    });
  }

  private start(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      this.coldStarts += 1;
      const worker = new Worker(WORKER_SCRIPT, {
        env: { ...this.spec.environment },
        workerData: {
          bundlePath: this.spec.bundlePath,
          handlerName: this.spec.handlerName,
          functionName: this.spec.functionName,
          functionArn: this.spec.functionArn,
          memorySize: this.spec.memorySize,
          logGroupName: `/aws/lambda/${this.spec.functionName}`,
          coverageDir: COVERAGE_DIR,
        },
        stdout: true,
        stderr: true,
      });
      this.worker = worker;
      pipeLines(worker.stdout, (line) => this.output(this.spec.displayName, line));
      pipeLines(worker.stderr, (line) => this.output(this.spec.displayName, line));
      worker.on(
        'message',
        (message: {
          type: string;
          id?: string;
          result?: unknown;
          error?: { errorType: string; errorMessage: string; stack: string[] };
          initError?: { errorMessage: string };
        }) => {
          if (message.type === 'ready') {
            if (message.initError) this.output(this.spec.displayName, `init failed: ${message.initError.errorMessage}`);
            resolve();
            return;
          }
          const waiting = message.id ? this.pending.get(message.id) : undefined;
          if (!waiting) return;
          this.pending.delete(message.id!);
          clearTimeout(waiting.timer);
          if (message.error)
            waiting.reject(
              new InvocationError(message.error.errorType, message.error.errorMessage, message.error.stack),
            );
          else waiting.resolve(message.result);
        },
      );
      worker.on('error', (error) => {
        this.output(this.spec.displayName, `sandbox crashed: ${error.message}`);
        this.failAll(new InvocationError('Runtime.ExitError', error.message));
        reject(error);
      });
      worker.on('exit', () => {
        if (this.worker === worker) {
          this.worker = undefined;
          this.ready = undefined;
        }
        this.failAll(new InvocationError('Runtime.ExitError', 'the sandbox exited'));
      });
    });
    return this.ready;
  }

  private failAll(error: Error) {
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
      this.pending.delete(id);
    }
  }

  private async discard() {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (worker && COVERAGE_DIR) await writeCoverage(worker);
    await worker?.terminate();
  }

  async stop(): Promise<void> {
    await this.discard();
  }
}

/** Asks a sandbox to write its coverage before it is terminated; a stuck one is given 2 s. */
function writeCoverage(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', done);
      resolve();
    };
    const onMessage = (message: { type?: string }) => message.type === 'coverage-written' && done();
    const timer = setTimeout(done, 2_000);
    worker.on('message', onMessage);
    worker.once('exit', done);
    worker.postMessage({ type: 'coverage' });
  });
}

function pipeLines(stream: Readable | null | undefined, sink: (line: string) => void) {
  if (!stream) return;
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) sink(line);
  });
  stream.on('end', () => buffered.trim() && sink(buffered));
}
