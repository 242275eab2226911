/**
 * The local Lambda runner, against tiny handler files written to a temporary asset directory.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LambdaRequestError, LocalFunction, isValidHandler } from '../../../local/lambda';
import type { InvokeResult, LocalFunctionOptions } from '../../../local/lambda';

const HANDLER = `
exports.handler = async (event, context) => {
  switch (event.action) {
    case 'echo':
      return {
        event,
        greeting: process.env.GREETING ?? null,
        parentSecret: process.env.PARENT_ONLY_SECRET ?? null,
        envKeys: Object.keys(process.env).sort(),
        cwd: process.cwd(),
        pid: process.pid,
        context: {
          functionName: context.functionName,
          functionVersion: context.functionVersion,
          invokedFunctionArn: context.invokedFunctionArn,
          memoryLimitInMB: context.memoryLimitInMB,
          awsRequestId: context.awsRequestId,
          logGroupName: context.logGroupName,
          remaining: context.getRemainingTimeInMillis(),
        },
      };
    case 'throw': {
      throw new TypeError('event.userId must be a string');
    }
    case 'throw-string':
      throw 'plain failure';
    case 'sleep':
      await new Promise((r) => setTimeout(r, event.ms));
      return { slept: event.ms, pid: process.pid };
    case 'exit':
      process.exit(3);
    case 'uncaught':
      setTimeout(() => { throw new RangeError('thrown from a timer'); }, 5);
      await new Promise((r) => setTimeout(r, 2000));
      return 'not reached';
    case 'log':
      console.log('hello from the handler');
      console.error('and from stderr');
      return null;
    case 'undefined':
      return undefined;
    case 'date':
      return { at: new Date(0) };
    default:
      return { unknown: event.action };
  }
};
`;

const CALLBACK_HANDLER = `
exports.main = (event, context, callback) => {
  setTimeout(() => (event.fail ? callback(new Error('callback error')) : callback(null, { viaCallback: true })), 5);
};
`;

let assetDir: string;
const functions: LocalFunction[] = [];
const logs: string[] = [];

beforeAll(async () => {
  assetDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lambda-runner-'));
  await fsp.writeFile(path.join(assetDir, 'index.js'), HANDLER);
  await fsp.mkdir(path.join(assetDir, 'nested'));
  await fsp.writeFile(path.join(assetDir, 'nested', 'cb.js'), CALLBACK_HANDLER);
  await fsp.writeFile(path.join(assetDir, 'broken.js'), "throw new Error('cannot initialise');\n");
});

afterEach(async () => {
  await Promise.all(functions.splice(0).map((f) => f.stop()));
});

afterAll(async () => {
  await fsp.rm(assetDir, { recursive: true, force: true });
});

function local(opts: Partial<LocalFunctionOptions> = {}): LocalFunction {
  const f = new LocalFunction({
    name: 'uba-dev-ingest',
    assetDir,
    handler: 'index.handler',
    environment: { GREETING: 'hello', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:4567' },
    timeoutMs: 3000,
    log: (line) => logs.push(line),
    ...opts,
  });
  functions.push(f);
  return f;
}

function payloadOf(result: InvokeResult): Record<string, unknown> {
  if (!result.ok) throw new Error(`expected success, got ${result.error.errorType}: ${result.error.errorMessage}`);
  return result.payload as Record<string, unknown>;
}

test('returns the handler value with exactly the given environment, not the parent one', async () => {
  process.env.PARENT_ONLY_SECRET = 'must-not-leak';
  try {
    const f = local({ memoryMb: 256 });
    const result = await f.invoke({ action: 'echo', nested: { n: 1 } });
    const payload = payloadOf(result);
    expect(payload.event).toEqual({ action: 'echo', nested: { n: 1 } });
    expect(payload.greeting).toBe('hello');
    expect(payload.parentSecret).toBeNull();
    expect(payload.envKeys).toEqual(
      [
        'AWS_DEFAULT_REGION',
        'AWS_ENDPOINT_URL_KINESIS',
        'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
        'AWS_LAMBDA_FUNCTION_NAME',
        'AWS_LAMBDA_FUNCTION_VERSION',
        'AWS_LAMBDA_LOG_GROUP_NAME',
        'AWS_LAMBDA_LOG_STREAM_NAME',
        'AWS_REGION',
        'GREETING',
        'LAMBDA_TASK_ROOT',
        'PATH',
        'TZ',
        '_HANDLER',
      ].sort(),
    );
    expect(payload.cwd).toBe(await fsp.realpath(assetDir));
    expect(payload.pid).not.toBe(process.pid);
    expect(payload.context).toEqual({
      functionName: 'uba-dev-ingest',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:uba-dev-ingest',
      memoryLimitInMB: '256',
      awsRequestId: result.requestId,
      logGroupName: '/aws/lambda/uba-dev-ingest',
      remaining: expect.any(Number),
    });
    const remaining = (payload.context as { remaining: number }).remaining;
    expect(remaining).toBeGreaterThan(2000);
    expect(remaining).toBeLessThanOrEqual(3000);
    // Warm: the same process serves the next invocation; results go through JSON like Lambda's.
    const again = payloadOf(await f.invoke({ action: 'echo' }));
    expect(again.pid).toBe(payload.pid);
    expect(payloadOf(await f.invoke({ action: 'date' }))).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    expect(await f.invoke({ action: 'undefined' })).toMatchObject({ ok: true, payload: null });
  } finally {
    delete process.env.PARENT_ONLY_SECRET;
  }
});

test('a thrown error is a function error with errorType and errorMessage, and the process stays warm', async () => {
  const f = local();
  const before = payloadOf(await f.invoke({ action: 'echo' })).pid;
  const result = await f.invoke({ action: 'throw' });
  expect(result).toMatchObject({
    ok: false,
    kind: 'error',
    error: { errorType: 'TypeError', errorMessage: 'event.userId must be a string' },
  });
  expect(result.ok === false && result.error.stackTrace?.[0]).toContain('index.js');
  expect(await f.invoke({ action: 'throw-string' })).toMatchObject({
    ok: false,
    error: { errorType: 'string', errorMessage: 'plain failure' },
  });
  expect(payloadOf(await f.invoke({ action: 'echo' })).pid).toBe(before);
});

test('a timeout kills the process, reports "Task timed out", and the next invocation gets a new one', async () => {
  const f = local({ timeoutMs: 400 });
  const before = payloadOf(await f.invoke({ action: 'sleep', ms: 1 })).pid;
  const started = Date.now();
  const result = await f.invoke({ action: 'sleep', ms: 5000 });
  expect(Date.now() - started).toBeLessThan(2000);
  expect(result).toMatchObject({ ok: false, kind: 'timeout', error: { errorType: 'Sandbox.Timedout' } });
  expect(result.ok === false && result.error.errorMessage).toContain('Task timed out after 0.40 seconds');
  const after = payloadOf(await f.invoke({ action: 'sleep', ms: 1 })).pid;
  expect(after).not.toBe(before);
});

test('a crashing process (process.exit or an uncaught exception) fails that invocation and is replaced', async () => {
  const f = local();
  const first = payloadOf(await f.invoke({ action: 'echo' })).pid;
  expect(await f.invoke({ action: 'exit' })).toMatchObject({
    ok: false,
    kind: 'crash',
    error: { errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('exit status 3') },
  });
  const second = payloadOf(await f.invoke({ action: 'echo' })).pid;
  expect(second).not.toBe(first);
  expect(await f.invoke({ action: 'uncaught' })).toMatchObject({
    ok: false,
    kind: 'crash',
    error: { errorType: 'RangeError', errorMessage: 'thrown from a timer' },
  });
  const third = payloadOf(await f.invoke({ action: 'echo' })).pid;
  expect(third).not.toBe(second);
  expect(f.processCount).toBe(1);
});

test('forwards stdout and stderr lines prefixed by the function name', async () => {
  const f = local();
  await f.invoke({ action: 'log' });
  await f.stop();
  expect(logs).toContain('[uba-dev-ingest] hello from the handler');
  expect(logs).toContain('[uba-dev-ingest] and from stderr');
});

test('runs up to `concurrency` processes and queues the rest', async () => {
  const f = local({ concurrency: 2 });
  const started = Date.now();
  const results = await Promise.all([1, 2, 3].map(() => f.invoke({ action: 'sleep', ms: 600 })));
  const elapsed = Date.now() - started;
  const pids = new Set(results.map((r) => payloadOf(r).pid));
  expect(pids.size).toBe(2);
  expect(elapsed).toBeGreaterThanOrEqual(1150);
  expect(f.processCount).toBe(2);
});

test('callback-style handlers in a nested module, INIT errors, bad handlers', async () => {
  const cb = local({ name: 'cb', handler: 'nested/cb.main' });
  expect(payloadOf(await cb.invoke({}))).toEqual({ viaCallback: true });
  expect(await cb.invoke({ fail: true })).toMatchObject({ ok: false, error: { errorMessage: 'callback error' } });

  const broken = local({ name: 'broken', handler: 'broken.handler' });
  expect(await broken.invoke({})).toMatchObject({
    ok: false,
    kind: 'init',
    error: { errorType: 'Error', errorMessage: 'cannot initialise' },
  });
  const missing = local({ name: 'missing', handler: 'index.nope' });
  expect(await missing.invoke({})).toMatchObject({ ok: false, kind: 'init', error: { errorType: 'Runtime.HandlerNotFound' } });
  const noModule = local({ name: 'nomodule', handler: 'absent.handler' });
  expect(await noModule.invoke({})).toMatchObject({ ok: false, kind: 'init', error: { errorType: 'Runtime.ImportModuleError' } });

  expect(isValidHandler('index.handler')).toBe(true);
  expect(isValidHandler('src/app.v1.main')).toBe(true);
  expect(isValidHandler('index')).toBe(false);
  expect(() => local({ handler: 'handler' })).toThrow(/bad handler/);
});

test('stop() refuses new invocations and ends every process', async () => {
  const f = local();
  await f.invoke({ action: 'echo' });
  expect(f.processCount).toBe(1);
  await f.stop();
  expect(f.processCount).toBe(0);
  await expect(f.invoke({ action: 'echo' })).rejects.toBeInstanceOf(LambdaRequestError);
});
