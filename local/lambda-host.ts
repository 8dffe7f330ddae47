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

/** How many sandboxes a function may have at once, and how long an idle one is kept. */
export interface PoolOptions {
  /** The most sandboxes at once: the function's reserved concurrency, else the runtime's default. */
  size: number;
  /** A sandbox idle longer than this is retired (its coverage written first). */
  idleMs: number;
}

/** Lambda scales a function out to its concurrency limit and keeps idle sandboxes for minutes. */
export const DEFAULT_POOL: PoolOptions = { size: 10, idleMs: 60_000 };

interface WorkerMessage {
  type: string;
  id?: string;
  result?: unknown;
  error?: { errorType: string; errorMessage: string; stack: string[] };
  initError?: { errorMessage: string };
}

interface Running {
  id: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const WORKER_SCRIPT = new URL('./lambda-worker.mjs', import.meta.url);
/** Set by `npm test` when it measures coverage: each sandbox writes its V8 coverage there. */
const COVERAGE_DIR = process.env.DGOV_COVERAGE_DIR || undefined;

/**
 * One sandbox: a worker thread that loads the function's bundle itself (so module state is its
 * own) with exactly the environment the template gives the function, and runs one invocation
 * at a time. A timeout or a crash discards it.
 */
class Sandbox {
  readonly ready: Promise<void>;
  /** Settles when the worker has exited (after writing its coverage, when measured). */
  readonly exited: Promise<void>;
  idleTimer?: NodeJS.Timeout;
  private readonly worker: Worker;
  private running?: Running;
  private gone = false;
  private discarding?: Promise<void>;

  constructor(
    private readonly spec: FunctionSpec,
    /** Which of its function's sandboxes it is (1, 2, …): its output is labelled `<name>#<n>`, as Lambda gives each its own log stream. */
    ordinal: number,
    output: (name: string, line: string) => void,
    /** Called once, when the sandbox can take no more invocations. */
    private readonly onGone: (sandbox: Sandbox) => void,
  ) {
    const label = `${spec.displayName}#${ordinal}`;
    const worker = new Worker(WORKER_SCRIPT, {
      env: { ...spec.environment },
      workerData: {
        bundlePath: spec.bundlePath,
        handlerName: spec.handlerName,
        functionName: spec.functionName,
        functionArn: spec.functionArn,
        memorySize: spec.memorySize,
        logGroupName: `/aws/lambda/${spec.functionName}`,
        coverageDir: COVERAGE_DIR,
      },
      stdout: true,
      stderr: true,
    });
    this.worker = worker;
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    pipeLines(worker.stdout, (line) => output(label, line));
    pipeLines(worker.stderr, (line) => output(label, line));
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          if (message.initError) output(label, `init failed: ${message.initError.errorMessage}`);
          resolve();
          return;
        }
        const running = this.running;
        if (!running || message.id !== running.id) return;
        this.running = undefined;
        clearTimeout(running.timer);
        if (message.error)
          running.reject(new InvocationError(message.error.errorType, message.error.errorMessage, message.error.stack));
        else running.resolve(message.result);
      });
      worker.on('error', (error) => {
        output(label, `sandbox crashed: ${error.message}`);
        this.leave();
        this.fail(new InvocationError('Runtime.ExitError', error.message));
        reject(error);
      });
      worker.on('exit', () => {
        this.leave();
        this.fail(new InvocationError('Runtime.ExitError', 'the sandbox exited'));
        reject(new InvocationError('Runtime.ExitError', 'the sandbox exited before it was ready'));
      });
    });
    // A sandbox that never becomes ready is reported to the invocation waiting for it.
    this.ready.catch(() => undefined);
  }

  run(event: unknown): Promise<unknown> {
    if (this.gone) return Promise.reject(new InvocationError('Runtime.ExitError', 'the sandbox exited'));
    const id = randomUUID();
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.running = undefined;
        reject(new InvocationError('Sandbox.Timedout', `Task timed out after ${this.spec.timeoutSeconds} seconds`));
        void this.discard();
      }, timeoutMs);
      this.running = { id, resolve, reject, timer };
      this.worker.postMessage({ id, event, deadline: Date.now() + timeoutMs });
    });
  }

  get usable(): boolean {
    return !this.gone;
  }

  /** Running an invocation now. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** A crash: the worker is terminated at once (no coverage written); its invocation fails with Runtime.ExitError. */
  kill(): Promise<number> {
    return this.worker.terminate();
  }

  /** Writes the sandbox's coverage (when measured), then terminates it. */
  discard(): Promise<void> {
    this.discarding ??= (async () => {
      this.leave();
      if (COVERAGE_DIR) await writeCoverage(this.worker);
      await this.worker.terminate();
    })();
    return this.discarding;
  }

  private leave() {
    if (this.gone) return;
    this.gone = true;
    clearTimeout(this.idleTimer);
    this.onGone(this);
  }

  private fail(error: Error) {
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    clearTimeout(running.timer);
    running.reject(error);
  }
}

/**
 * Runs one function as Lambda does: a pool of sandboxes, each handling one invocation at a time.
 * An invocation takes an idle sandbox, else cold-starts a new one while the pool is below its size,
 * else waits for one to be free. Sandboxes idle longer than `idleMs` are retired; a timeout or a
 * crash discards only the sandbox it happened in.
 */
export class LambdaHost {
  /** Sandboxes started so far (each one a cold start). */
  coldStarts = 0;
  /** The most sandboxes that were alive at once. */
  peakSandboxes = 0;
  readonly pool: PoolOptions;
  private readonly live = new Set<Sandbox>();
  /** Free sandboxes, the most recently used last (it is taken first, so extra ones go idle and retire). */
  private readonly idle: Sandbox[] = [];
  private readonly waiting: { resolve: (sandbox: Sandbox) => void; reject: (error: Error) => void }[] = [];
  /** Sandboxes on their way out, awaited by stop(). */
  private readonly closing = new Set<Promise<void>>();
  /** Armed by crashNextInvocation. */
  private readonly crashes: { afterMs: number; resolve: (midInvocation: boolean) => void }[] = [];

  constructor(
    readonly spec: FunctionSpec,
    private readonly output: (name: string, line: string) => void,
    pool: Partial<PoolOptions> = {},
  ) {
    this.pool = { ...DEFAULT_POOL, ...pool };
  }

  /** Sandboxes alive now, busy or idle. */
  get sandboxes(): number {
    return this.live.size;
  }

  async invoke(event: unknown): Promise<unknown> {
    if (this.pool.size < 1)
      throw new InvocationError('TooManyRequestsException', 'Rate Exceeded. (reserved concurrency is 0)');
    const sandbox = await this.acquire();
    try {
      await sandbox.ready;
      const running = sandbox.run(event);
      const crash = this.crashes.shift();
      if (crash)
        setTimeout(() => {
          crash.resolve(sandbox.busy);
          void sandbox.kill();
        }, crash.afterMs);
      return await running;
    } finally {
      this.release(sandbox);
    }
  }

  private acquire(): Promise<Sandbox> {
    const warm = this.idle.pop();
    if (warm) {
      clearTimeout(warm.idleTimer);
      return Promise.resolve(warm);
    }
    if (this.live.size < this.pool.size) return Promise.resolve(this.coldStart());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private coldStart(): Sandbox {
    this.coldStarts += 1;
    const sandbox = new Sandbox(this.spec, this.coldStarts, this.output, (gone) => this.forget(gone));
    this.live.add(sandbox);
    this.peakSandboxes = Math.max(this.peakSandboxes, this.live.size);
    return sandbox;
  }

  private release(sandbox: Sandbox) {
    if (!sandbox.usable) return; // discarded: forget() already gave its place to a waiting request
    const next = this.waiting.shift();
    if (next) return next.resolve(sandbox);
    this.idle.push(sandbox);
    sandbox.idleTimer = setTimeout(() => void sandbox.discard(), this.pool.idleMs);
    sandbox.idleTimer.unref();
  }

  /** A sandbox is gone (discarded, retired or crashed): its place goes to a waiting request. */
  private forget(sandbox: Sandbox) {
    this.live.delete(sandbox);
    const exited = sandbox.exited.finally(() => this.closing.delete(exited));
    this.closing.add(exited);
    const index = this.idle.indexOf(sandbox);
    if (index >= 0) this.idle.splice(index, 1);
    while (this.waiting.length > 0 && this.live.size < this.pool.size) this.waiting.shift()!.resolve(this.coldStart());
  }

  /**
   * Tests only (test/integration/faults.test.ts): the sandbox of the next invocation crashes
   * `afterMs` into it, as an out-of-memory kill would. The invocation fails (its caller sees
   * Runtime.ExitError) and the sandbox's place in the pool is freed. Resolves with whether the
   * invocation was still running when the sandbox died.
   */
  crashNextInvocation(afterMs: number): Promise<boolean> {
    return new Promise((resolve) => this.crashes.push({ afterMs, resolve }));
  }

  /** Discards every sandbox (writing their coverage) and refuses the requests still waiting. */
  async stop(): Promise<void> {
    for (const waiter of this.waiting.splice(0))
      waiter.reject(new InvocationError('Runtime.ExitError', 'the local runtime is stopping'));
    for (const sandbox of [...this.live]) void sandbox.discard();
    await Promise.all([...this.closing]);
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
