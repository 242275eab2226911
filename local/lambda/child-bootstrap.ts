/**
 * Entry point of one local execution environment (a child process forked by LocalFunction).
 * It plays the part of Lambda's Node.js runtime interface client: loads the handler module once
 * (INIT), then runs one invocation at a time as the parent asks over IPC, and reports results
 * and errors in Lambda's shapes. The process environment is exactly what the parent passed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { isParentMessage, toLambdaError } from './types';
import type { ChildMessage, ContextFields, LambdaErrorPayload, ParentMessage } from './types';

type Callback = (error?: unknown, result?: unknown) => void;
type HandlerFn = (event: unknown, context: LambdaContext, callback: Callback) => unknown;

/** The context object a handler gets: the fields the parent sends (less the deadline) and Lambda's methods. */
interface LambdaContext extends Omit<ContextFields, 'deadlineMs'> {
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  done(error?: unknown, result?: unknown): void;
  fail(error: unknown): void;
  succeed(result: unknown): void;
}

class InitError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

let handlerFn: HandlerFn | undefined;
let currentRequestId: string | undefined;

function send(message: ChildMessage, then?: () => void): void {
  if (!process.send) {
    process.exit(70);
  }
  process.send(message, undefined, {}, () => then?.());
}

/** Splits `dir/file.export.nested` into the module path and the export path, like the Node.js runtime. */
function splitHandler(handler: string): { modulePath: string; exportPath: string[] } {
  const slash = handler.lastIndexOf('/');
  const dot = handler.indexOf('.', slash + 1);
  if (dot <= slash + 1 || dot === handler.length - 1) {
    throw new InitError('Runtime.MalformedHandlerName', `Bad handler ${handler}`);
  }
  return { modulePath: handler.slice(0, dot), exportPath: handler.slice(dot + 1).split('.') };
}

async function loadModule(taskRoot: string, modulePath: string): Promise<unknown> {
  const base = path.resolve(taskRoot, modulePath);
  const candidates = ['.js', '.mjs', '.cjs'].map((ext) => base + ext);
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) {
    throw new InitError('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}'`);
  }
  if (file.endsWith('.mjs')) {
    return import(pathToFileURL(file).href);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS handler bundles load synchronously, as Lambda's Node runtime does
    return require(file) as unknown;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_REQUIRE_ESM') {
      return import(pathToFileURL(file).href);
    }
    throw err;
  }
}

async function init(taskRoot: string, handler: string): Promise<void> {
  const { modulePath, exportPath } = splitHandler(handler);
  let target: unknown = await loadModule(taskRoot, modulePath);
  for (const key of exportPath) {
    target = typeof target === 'object' && target !== null ? (target as Record<string, unknown>)[key] : undefined;
  }
  if (typeof target !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${handler} is undefined or not exported`);
  }
  handlerFn = target as HandlerFn;
}

/** Maps an INIT failure to the error types the Node.js runtime reports. */
function initErrorPayload(err: unknown): LambdaErrorPayload {
  if (err instanceof InitError) return { errorType: err.errorType, errorMessage: err.message };
  const error = toLambdaError(err);
  if (err instanceof SyntaxError) return { ...error, errorType: 'Runtime.UserCodeSyntaxError' };
  if ((err as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND') {
    return { ...error, errorType: 'Runtime.ImportModuleError', errorMessage: `Error: ${error.errorMessage}` };
  }
  return error;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

function rss(): number {
  return process.memoryUsage().rss;
}

function reportError(requestId: string, error: LambdaErrorPayload, fatal: boolean, then?: () => void): void {
  send({ type: 'error', requestId, error, fatal, rssBytes: rss() }, then);
}

function runInvocation(requestId: string, eventJson: string, fields: ContextFields): void {
  const handler = handlerFn;
  if (!handler) {
    reportError(requestId, { errorType: 'Runtime.Unknown', errorMessage: 'handler not initialised' }, false);
    return;
  }
  currentRequestId = requestId;
  let settled = false;
  const finish = (error: unknown, value: unknown): void => {
    if (settled) return;
    settled = true;
    currentRequestId = undefined;
    if (error !== undefined && error !== null) {
      reportError(requestId, toLambdaError(error), false);
      return;
    }
    let payloadJson: string;
    try {
      payloadJson = JSON.stringify(value === undefined ? null : value) ?? 'null';
    } catch (err) {
      reportError(requestId, { errorType: 'Runtime.MarshalError', errorMessage: toLambdaError(err).errorMessage }, false);
      return;
    }
    send({ type: 'result', requestId, payloadJson, rssBytes: rss() });
  };
  const context: LambdaContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fields.functionName,
    functionVersion: fields.functionVersion,
    invokedFunctionArn: fields.invokedFunctionArn,
    memoryLimitInMB: fields.memoryLimitInMB,
    awsRequestId: fields.awsRequestId,
    logGroupName: fields.logGroupName,
    logStreamName: fields.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, fields.deadlineMs - Date.now()),
    done: (error, result) => finish(error, result),
    fail: (error) => finish(error ?? new Error('handled'), undefined),
    succeed: (result) => finish(null, result),
  };
  try {
    const event: unknown = JSON.parse(eventJson);
    const callbackStyle = handler.length >= 3;
    const returned = handler(event, context, (error, result) => finish(error, result));
    if (isPromiseLike(returned)) {
      returned.then(
        (value) => finish(null, value),
        (error: unknown) => finish(error ?? new Error('Promise rejected without a reason'), undefined),
      );
    } else if (!callbackStyle) {
      finish(null, returned);
    }
  } catch (err) {
    finish(err ?? new Error('Handler threw without a reason'), undefined);
  }
}

function onFatal(thrown: unknown, errorType?: string): void {
  const error = toLambdaError(thrown);
  const payload = errorType ? { ...error, errorType } : error;
  const requestId = currentRequestId;
  if (requestId !== undefined) {
    reportError(requestId, payload, true, () => process.exit(1));
  } else {
    process.stderr.write(`${payload.errorType}: ${payload.errorMessage}\n`, () => process.exit(1));
  }
}

process.on('uncaughtException', (err) => onFatal(err));
process.on('unhandledRejection', (reason) => onFatal(reason, 'Runtime.UnhandledPromiseRejection'));

process.on('message', (raw: unknown) => {
  if (!isParentMessage(raw)) return;
  const message: ParentMessage = raw;
  if (message.type === 'init') {
    init(message.taskRoot, message.handler).then(
      () => send({ type: 'ready' }),
      (err: unknown) => {
        send({ type: 'init-error', error: initErrorPayload(err) });
      },
    );
    return;
  }
  runInvocation(message.requestId, message.eventJson, message.context);
});

// The IPC channel keeps the process alive; when the parent goes away, go with it.
process.on('disconnect', () => process.exit(0));
