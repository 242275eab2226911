/**
 * Public types of the local Lambda runner, and the messages its parent and child processes
 * exchange over the IPC channel.
 */

/** The error document Lambda returns when an invocation fails (`X-Amz-Function-Error: Unhandled`). */
export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stackTrace?: readonly string[];
}

/**
 * Why an invocation failed:
 * - `error`: the handler threw / rejected / called back with an error;
 * - `timeout`: it ran past the function timeout, the process was killed;
 * - `crash`: the process died during the invocation (process.exit, uncaught exception, OOM, signal);
 * - `init`: the handler module could not be loaded or the handler was not found.
 */
export type InvokeFailureKind = 'error' | 'timeout' | 'crash' | 'init';

/** The handler returned (or called back with) a value; `payload` is that value after a JSON round trip. */
export interface InvokeSuccess {
  readonly ok: true;
  readonly payload: unknown;
  readonly requestId: string;
  readonly durationMs: number;
}

/** A function error, as Lambda reports it to a synchronous caller. */
export interface InvokeFailure {
  readonly ok: false;
  readonly kind: InvokeFailureKind;
  readonly error: LambdaErrorPayload;
  readonly requestId: string;
  readonly durationMs: number;
}

/** Outcome of one synchronous invocation. */
export type InvokeResult = InvokeSuccess | InvokeFailure;

/** Options of a {@link LocalFunction}. */
export interface LocalFunctionOptions {
  /** The function name (as in the template / `AWS_LAMBDA_FUNCTION_NAME`). */
  readonly name: string;
  /** Directory of the bundled code (the function's `/var/task`), e.g. `cdk.out/asset.<hash>`. */
  readonly assetDir: string;
  /** Handler string `<module path>.<export>`, e.g. `index.handler`. */
  readonly handler: string;
  /**
   * Environment of the function, already resolved to strings: the template's variables plus
   * what the caller adds (AWS_REGION, credentials, AWS_ENDPOINT_URL_*). The parent's environment
   * is never inherited; Lambda's own runtime variables are added (see {@link lambdaRuntimeEnvironment}).
   */
  readonly environment: Readonly<Record<string, string>>;
  /** Function timeout in milliseconds. */
  readonly timeoutMs: number;
  /** Memory size in MB (default 128); caps the V8 heap at 90% of it, as the Lambda Node.js runtime does. */
  readonly memoryMb?: number;
  /** Most execution environments (processes) running at once (default 1); further invocations wait in a queue. */
  readonly concurrency?: number;
  /** Receives every stdout/stderr line of the function, prefixed by `[name] `. Defaults to stderr. */
  readonly log?: (line: string) => void;
  /** Also log Lambda's `START` / `END` / `REPORT` lines per invocation (default false). */
  readonly logInvocations?: boolean;
  /** ARN reported as `context.invokedFunctionArn` (default `arn:aws:lambda:<region>:000000000000:function:<name>`). */
  readonly functionArn?: string;
  /** Limit for loading the handler module (Lambda's INIT phase), default 10 000 ms. */
  readonly initTimeoutMs?: number;
}

/** Fields of the Lambda context object that the parent sends with each invocation. */
export interface ContextFields {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Epoch milliseconds at which the invocation times out. */
  readonly deadlineMs: number;
}

/** Parent → child messages. */
export type ParentMessage =
  | { readonly type: 'init'; readonly taskRoot: string; readonly handler: string }
  | { readonly type: 'invoke'; readonly requestId: string; readonly eventJson: string; readonly context: ContextFields };

/** Child → parent messages. */
export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: LambdaErrorPayload }
  | { readonly type: 'result'; readonly requestId: string; readonly payloadJson: string; readonly rssBytes: number }
  | {
      readonly type: 'error';
      readonly requestId: string;
      readonly error: LambdaErrorPayload;
      /** The process is about to exit (uncaught exception / unhandled rejection). */
      readonly fatal: boolean;
      readonly rssBytes: number;
    };

/** Narrows an IPC message received by the parent. */
export function isChildMessage(value: unknown): value is ChildMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'init-error' || type === 'result' || type === 'error';
}

/** Narrows an IPC message received by the child. */
export function isParentMessage(value: unknown): value is ParentMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'init' || type === 'invoke';
}

/** Converts anything thrown into Lambda's error document (errorType from `name`, like the Node.js runtime). */
export function toLambdaError(thrown: unknown): LambdaErrorPayload {
  if (thrown instanceof Error) {
    const stack =
      typeof thrown.stack === 'string'
        ? thrown.stack
            .split('\n')
            .slice(1)
            .map((l) => l.trim())
        : [];
    return {
      errorType: thrown.name || 'Error',
      errorMessage: thrown.message,
      stackTrace: stack.filter((l) => l.length > 0),
    };
  }
  if (typeof thrown === 'object' && thrown !== null) {
    let message: string;
    try {
      message = JSON.stringify(thrown);
    } catch {
      message = String(thrown);
    }
    return { errorType: 'object', errorMessage: message };
  }
  return { errorType: typeof thrown, errorMessage: String(thrown) };
}
