/**
 * Runs one Lambda function from its bundled asset directory, isolated the way Lambda isolates
 * it: each execution environment is its own child process with only the function's environment,
 * kept warm between invocations, at most `concurrency` of them, one invocation at a time each.
 */
import { fork } from 'child_process';
import type { ChildProcess } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { pathToFileURL } from 'url';
import { isChildMessage } from './types';
import type {
  ChildMessage,
  ContextFields,
  InvokeFailureKind,
  InvokeResult,
  LambdaErrorPayload,
  LocalFunctionOptions,
  ParentMessage,
} from './types';

/** Largest request and response payload of a synchronous invocation (6 MB). */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

const DEFAULT_MEMORY_MB = 128;
const DEFAULT_INIT_TIMEOUT_MS = 10_000;
const KILL_GRACE_MS = 2_000;

/** Thrown by `invoke` for requests Lambda would refuse before running the function. */
export class LambdaRequestError extends Error {
  constructor(
    readonly code: 'RequestEntityTooLargeException' | 'InvalidRequestContentException' | 'ResourceNotReadyException',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** What a child reported for one invocation, or how it ended. */
type ChildOutcome =
  | { readonly kind: 'result'; readonly payloadJson: string; readonly rssBytes: number }
  | { readonly kind: 'error'; readonly error: LambdaErrorPayload; readonly fatal: boolean; readonly rssBytes: number }
  | { readonly kind: 'exit'; readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly kind: 'timeout' };

interface Job {
  readonly eventJson: string;
  readonly resolve: (result: InvokeResult) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The environment a function's process gets: Lambda's defaults (PATH, TZ), then the given
 * variables, then Lambda's reserved runtime variables (AWS_LAMBDA_FUNCTION_NAME, …_VERSION,
 * …_MEMORY_SIZE, …_LOG_GROUP_NAME, …_LOG_STREAM_NAME, LAMBDA_TASK_ROOT, _HANDLER, and
 * AWS_DEFAULT_REGION mirroring AWS_REGION). Nothing comes from the parent's environment.
 */
export function lambdaRuntimeEnvironment(opts: LocalFunctionOptions, logStreamName: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    TZ: 'UTC',
    ...opts.environment,
    AWS_LAMBDA_FUNCTION_NAME: opts.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(opts.memoryMb ?? DEFAULT_MEMORY_MB),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${opts.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
    LAMBDA_TASK_ROOT: path.resolve(opts.assetDir),
    _HANDLER: opts.handler,
  };
  const region = opts.environment.AWS_REGION;
  if (region !== undefined && opts.environment.AWS_DEFAULT_REGION === undefined) {
    env.AWS_DEFAULT_REGION = region;
  }
  return env;
}

/** True for `<module path>.<export>` handler strings such as `index.handler` or `src/app.main`. */
export function isValidHandler(handler: string): boolean {
  const file = handler.slice(handler.lastIndexOf('/') + 1);
  const dot = file.indexOf('.');
  return dot > 0 && dot < file.length - 1 && !file.endsWith('.');
}

/** The child entry: compiled JS next to this file when present, else the TypeScript source run through tsx. */
function bootstrapEntry(): { file: string; execArgv: string[] } {
  const js = path.join(__dirname, 'child-bootstrap.js');
  if (fs.existsSync(js)) return { file: js, execArgv: [] };
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  return { file: path.join(__dirname, 'child-bootstrap.ts'), execArgv: ['--import', tsx] };
}

function logStreamNameNow(): string {
  const d = new Date();
  const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

/** One execution environment: a child process and its IPC conversation. */
class ExecutionEnvironment {
  readonly logStreamName = logStreamNameNow();
  readonly child: ChildProcess;
  /** Resolves with undefined once the handler is loaded, or with the INIT error. */
  readonly ready: Promise<LambdaErrorPayload | undefined>;
  /** Resolves when the process has exited and its output is drained. */
  readonly closed: Promise<void>;
  alive = true;
  private pending: ((outcome: ChildOutcome) => void) | undefined;
  private pendingRequestId: string | undefined;
  private resolveReady!: (error: LambdaErrorPayload | undefined) => void;

  constructor(
    opts: LocalFunctionOptions,
    private readonly log: (line: string) => void,
    onGone: (env: ExecutionEnvironment) => void,
  ) {
    const entry = bootstrapEntry();
    const memoryMb = opts.memoryMb ?? DEFAULT_MEMORY_MB;
    this.child = fork(entry.file, [], {
      cwd: path.resolve(opts.assetDir),
      env: lambdaRuntimeEnvironment(opts, this.logStreamName),
      execArgv: [...entry.execArgv, `--max-old-space-size=${Math.max(16, Math.floor(memoryMb * 0.9))}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      // Its own process group: a Ctrl-C in the terminal reaches the runtime, which stops functions
      // in order after the work in flight; the child still exits if the parent goes (IPC disconnect).
      detached: true,
    });
    const prefix = `[${opts.name}] `;
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.log(prefix + line));
    }
    this.ready = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
    const initTimeoutMs = opts.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS;
    const initTimer = setTimeout(() => {
      this.resolveReady({
        errorType: 'Sandbox.Timedout',
        errorMessage: `INIT timed out after ${(initTimeoutMs / 1000).toFixed(2)} seconds`,
      });
      this.kill();
    }, initTimeoutMs);
    void this.ready.then(() => clearTimeout(initTimer));
    this.child.on('message', (raw: unknown) => {
      if (isChildMessage(raw)) this.onMessage(raw);
    });
    // 'close' is not emitted reliably once the parent has disconnected the IPC channel, so wait
    // for 'exit' and for both output streams to end instead.
    const exited = new Promise<void>((resolve) => {
      this.child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
        this.alive = false;
        clearTimeout(initTimer);
        this.resolveReady({
          errorType: 'Runtime.ExitError',
          errorMessage: `Runtime exited during INIT: ${code !== null ? `exit status ${code}` : `signal: ${signal ?? 'unknown'}`}`,
        });
        this.settle({ kind: 'exit', code, signal });
        onGone(this);
        resolve();
      });
    });
    const drained = [this.child.stdout, this.child.stderr].map(
      (stream) =>
        new Promise<void>((resolve) => {
          if (!stream || stream.destroyed) resolve();
          else stream.once('close', () => resolve());
        }),
    );
    this.closed = Promise.all([exited, ...drained]).then(() => undefined);
    this.child.on('error', (err) => this.log(`${prefix}process error: ${err.message}`));
    this.send({ type: 'init', taskRoot: path.resolve(opts.assetDir), handler: opts.handler });
  }

  private send(message: ParentMessage): void {
    if (this.child.connected) this.child.send(message);
  }

  private onMessage(message: ChildMessage): void {
    switch (message.type) {
      case 'ready':
        this.resolveReady(undefined);
        return;
      case 'init-error':
        this.resolveReady(message.error);
        return;
      case 'result':
        if (message.requestId === this.pendingRequestId) {
          this.settle({ kind: 'result', payloadJson: message.payloadJson, rssBytes: message.rssBytes });
        }
        return;
      case 'error':
        if (message.fatal) this.alive = false;
        if (message.requestId === this.pendingRequestId) {
          this.settle({ kind: 'error', error: message.error, fatal: message.fatal, rssBytes: message.rssBytes });
        }
        return;
    }
  }

  private settle(outcome: ChildOutcome): void {
    const pending = this.pending;
    this.pending = undefined;
    this.pendingRequestId = undefined;
    pending?.(outcome);
  }

  /** Runs one invocation; kills the process if it outlives `timeoutMs`. */
  invoke(requestId: string, eventJson: string, context: ContextFields, timeoutMs: number): Promise<ChildOutcome> {
    return new Promise((resolve) => {
      if (!this.alive || !this.child.connected) {
        resolve({ kind: 'exit', code: this.child.exitCode, signal: this.child.signalCode });
        return;
      }
      const timer = setTimeout(() => {
        this.alive = false;
        this.settle({ kind: 'timeout' });
        this.kill();
      }, timeoutMs);
      this.pendingRequestId = requestId;
      this.pending = (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      this.send({ type: 'invoke', requestId, eventJson, context });
    });
  }

  /** Kills the process at once. */
  kill(): void {
    this.alive = false;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Asks the process to end (closing IPC makes the bootstrap exit), then kills it after a grace period. */
  async terminate(): Promise<void> {
    this.alive = false;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      if (this.child.connected) this.child.disconnect();
      else this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.kill(), KILL_GRACE_MS);
      await this.closed;
      clearTimeout(timer);
    } else {
      await this.closed;
    }
  }
}

/**
 * A locally running Lambda function.
 * `invoke(event)` resolves with the handler's payload or a function error (never rejects for
 * function errors; it rejects only for requests Lambda would refuse, or after `stop()`).
 */
export class LocalFunction {
  readonly name: string;
  private readonly opts: LocalFunctionOptions;
  private readonly concurrency: number;
  private readonly log: (line: string) => void;
  private readonly environments = new Set<ExecutionEnvironment>();
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Set<Promise<void>>();
  private stopping: Promise<void> | undefined;

  constructor(opts: LocalFunctionOptions) {
    if (!opts.name) throw new Error('LocalFunction: name is required');
    if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) {
      throw new Error(`LocalFunction ${opts.name}: timeoutMs must be a positive number`);
    }
    const concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new Error(`LocalFunction ${opts.name}: concurrency must be a positive integer`);
    }
    if (!isValidHandler(opts.handler)) {
      throw new Error(`LocalFunction ${opts.name}: bad handler "${opts.handler}" (expected <module>.<export>)`);
    }
    this.name = opts.name;
    this.opts = opts;
    this.concurrency = concurrency;
    this.log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  }

  /** Number of execution environments (processes) currently alive. */
  get processCount(): number {
    return this.environments.size;
  }

  /** Invokes the function synchronously (RequestResponse) with a JSON-serialisable event. */
  invoke(event: unknown): Promise<InvokeResult> {
    if (this.stopping) {
      return Promise.reject(new LambdaRequestError('ResourceNotReadyException', `function ${this.name} is stopped`));
    }
    let eventJson: string;
    try {
      eventJson = JSON.stringify(event === undefined ? null : event) ?? 'null';
    } catch (err) {
      return Promise.reject(new LambdaRequestError('InvalidRequestContentException', `event is not JSON: ${(err as Error).message}`));
    }
    const size = Buffer.byteLength(eventJson);
    if (size > MAX_SYNC_PAYLOAD_BYTES) {
      return Promise.reject(
        new LambdaRequestError(
          'RequestEntityTooLargeException',
          `Request must be smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation (was ${size})`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ eventJson, resolve, reject });
      this.pump();
    });
  }

  /** Refuses queued invocations, waits for those running, then ends every process. */
  stop(): Promise<void> {
    if (!this.stopping) {
      for (const job of this.queue.splice(0)) {
        job.reject(new LambdaRequestError('ResourceNotReadyException', `function ${this.name} stopped`));
      }
      this.stopping = (async () => {
        while (this.running.size > 0) await Promise.all([...this.running]);
        this.idle.length = 0;
        await Promise.all([...this.environments].map((env) => env.terminate()));
      })();
    }
    return this.stopping;
  }

  /**
   * Kills every execution environment at once (SIGKILL), for a forced exit: invocations in flight
   * end as crashes. Each environment would also exit by itself once this process is gone (its
   * IPC channel closes).
   */
  kill(): void {
    for (const env of this.environments) env.kill();
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.stopping) {
      let env = this.idle.pop();
      while (env && !env.alive) env = this.idle.pop();
      if (!env) {
        if (this.environments.size >= this.concurrency) return;
        env = new ExecutionEnvironment(this.opts, this.log, (gone) => this.forget(gone));
        this.environments.add(env);
      }
      const job = this.queue.shift();
      if (!job) return;
      const current = env;
      const run = this.execute(current, job.eventJson).then(
        (result) => job.resolve(result),
        (err: unknown) => job.reject(err instanceof Error ? err : new Error(String(err))),
      );
      const tracked = run.finally(() => {
        this.running.delete(tracked);
        if (current.alive && !this.stopping) this.idle.push(current);
        else if (!current.alive) this.forget(current);
        this.pump();
      });
      this.running.add(tracked);
    }
  }

  private forget(env: ExecutionEnvironment): void {
    env.kill();
    this.environments.delete(env);
    const i = this.idle.indexOf(env);
    if (i >= 0) this.idle.splice(i, 1);
  }

  private async execute(env: ExecutionEnvironment, eventJson: string): Promise<InvokeResult> {
    const requestId = randomUUID();
    const initError = await env.ready;
    const started = Date.now();
    const fail = (kind: InvokeFailureKind, error: LambdaErrorPayload): InvokeResult => ({
      ok: false,
      kind,
      error,
      requestId,
      durationMs: Date.now() - started,
    });
    if (initError) {
      env.kill();
      this.log(`[${this.name}] INIT failed: ${initError.errorType}: ${initError.errorMessage}`);
      return fail('init', initError);
    }
    const region = this.opts.environment.AWS_REGION ?? 'us-east-1';
    const context: ContextFields = {
      functionName: this.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.opts.functionArn ?? `arn:aws:lambda:${region}:000000000000:function:${this.name}`,
      memoryLimitInMB: String(this.opts.memoryMb ?? DEFAULT_MEMORY_MB),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${this.name}`,
      logStreamName: env.logStreamName,
      deadlineMs: started + this.opts.timeoutMs,
    };
    if (this.opts.logInvocations) this.log(`[${this.name}] START RequestId: ${requestId} Version: $LATEST`);
    const outcome = await env.invoke(requestId, eventJson, context, this.opts.timeoutMs);
    const result = this.toResult(outcome, requestId, started, fail);
    if (this.opts.logInvocations) {
      const memory = outcome.kind === 'result' || outcome.kind === 'error' ? Math.ceil(outcome.rssBytes / 1048576) : '-';
      this.log(`[${this.name}] END RequestId: ${requestId}`);
      this.log(
        `[${this.name}] REPORT RequestId: ${requestId}\tDuration: ${result.durationMs} ms\t` +
          `Memory Size: ${this.opts.memoryMb ?? DEFAULT_MEMORY_MB} MB\tMax Memory Used: ${memory} MB` +
          (result.ok ? '' : `\tStatus: ${result.kind}`),
      );
    }
    return result;
  }

  private toResult(
    outcome: ChildOutcome,
    requestId: string,
    started: number,
    fail: (kind: InvokeFailureKind, error: LambdaErrorPayload) => InvokeResult,
  ): InvokeResult {
    switch (outcome.kind) {
      case 'result': {
        const size = Buffer.byteLength(outcome.payloadJson);
        if (size > MAX_SYNC_PAYLOAD_BYTES) {
          return fail('error', {
            errorType: 'Function.ResponseSizeTooLarge',
            errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_SYNC_PAYLOAD_BYTES} bytes).`,
          });
        }
        return { ok: true, payload: JSON.parse(outcome.payloadJson) as unknown, requestId, durationMs: Date.now() - started };
      }
      case 'error':
        return fail(outcome.fatal ? 'crash' : 'error', outcome.error);
      case 'timeout':
        this.log(`[${this.name}] ${requestId} Task timed out after ${(this.opts.timeoutMs / 1000).toFixed(2)} seconds`);
        return fail('timeout', {
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(this.opts.timeoutMs / 1000).toFixed(2)} seconds`,
        });
      case 'exit': {
        const how = outcome.code !== null ? `exit status ${outcome.code}` : `signal: ${outcome.signal ?? 'unknown'}`;
        return fail('crash', {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${how}`,
        });
      }
    }
  }
}
