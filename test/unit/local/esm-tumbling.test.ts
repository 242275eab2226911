/**
 * Tumbling windows of the Kinesis event-source mapping stand-in, against in-process kinesalite,
 * with short windows (2–3 s) aligned to epoch multiples.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileCheckpointStore, KinesisEventSourceMapping, isoTime } from '../../../local/esm';
import type { KinesisEventSourceMappingOptions, KinesisInvokeEvent, KinesisTumblingWindowEvent } from '../../../local/esm';
import { FAST_TIMING, fakeFunction, isWindowEvent, sleep, startKinesalite, waitFor } from './esm-harness';
import type { Call, Kinesis } from './esm-harness';

let kinesis: Kinesis;
let tmp: string;
const mappings: KinesisEventSourceMapping[] = [];
let streamCounter = 0;

beforeAll(async () => {
  kinesis = await startKinesalite();
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'esm-tumbling-'));
});

afterEach(async () => {
  await Promise.all(mappings.splice(0).map((m) => m.stop()));
});

afterAll(async () => {
  await kinesis.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function newStream(): Promise<{ name: string; arn: string }> {
  streamCounter += 1;
  const name = `window-stream-${streamCounter}`;
  return { name, arn: await kinesis.createStream(name) };
}

function mapping(
  opts: Pick<KinesisEventSourceMappingOptions, 'streamName' | 'properties' | 'invoke'> & Partial<KinesisEventSourceMappingOptions>,
): KinesisEventSourceMapping {
  const m = new KinesisEventSourceMapping({
    id: `map-${opts.streamName}`,
    functionName: 'aggregator',
    client: kinesis.client,
    log: () => undefined,
    timing: FAST_TIMING,
    ...opts,
  });
  mappings.push(m);
  return m;
}

/** Sleeps until `offsetMs` into the next window of `windowMs` (or this one if still ahead); returns its start. */
async function alignToWindow(windowMs: number, offsetMs: number): Promise<number> {
  const now = Date.now();
  let start = Math.floor(now / windowMs) * windowMs;
  if (start + offsetMs < now + 5) start += windowMs;
  await sleep(start + offsetMs - now);
  return start;
}

const items = (n: number, from = 0): Array<{ key: string; data: unknown }> =>
  Array.from({ length: n }, (_, i) => ({ key: `user-${from + i}`, data: { i: from + i } }));

const windowEvent = (c: Call): KinesisTumblingWindowEvent => {
  if (!isWindowEvent(c.event)) throw new Error('expected a tumbling-window event');
  return c.event;
};

test('state passes between invocations of a window, windows never mix, a failed final invoke blocks the shard until it succeeds', async () => {
  const W = 2000;
  const { name, arn } = await newStream();
  let finalFailures = 0;
  const fn = fakeFunction((event) => {
    if (!isWindowEvent(event)) throw new Error('not a window event');
    if (event.isFinalInvokeForWindow) {
      if (finalFailures === 0) {
        finalFailures += 1;
        throw new Error('report sink unavailable');
      }
      return { state: event.state };
    }
    const count = Number(event.state.count ?? 0) + event.Records.length;
    return { state: { count }, batchItemFailures: [] };
  });
  const m = mapping({
    streamName: name,
    properties: {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      TumblingWindowInSeconds: W / 1000,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    },
    invoke: fn.invoke,
  });
  await m.start();
  const w1 = await alignToWindow(W, 100);
  const w2 = w1 + W;
  const first = await kinesis.put(name, items(3));
  await sleep(300);
  const second = await kinesis.put(name, items(2, 3));
  await sleep(w2 + 150 - Date.now());
  const third = await kinesis.put(name, items(2, 5));

  const isFinalOk = (c: Call, start: number): boolean =>
    windowEvent(c).isFinalInvokeForWindow && windowEvent(c).window.start === isoTime(start) && c.result?.ok === true;
  await waitFor(() => fn.calls.some((c) => isFinalOk(c, w2)), 8000, 'final invoke of the second window');

  for (const c of fn.calls) {
    const e = windowEvent(c);
    expect(e.shardId).toBe('shardId-000000000000');
    expect(e.eventSourceARN).toBe(arn);
    expect(e.isWindowTerminatedEarly).toBe(false);
    expect(e.window.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(e.window.end) - Date.parse(e.window.start)).toBe(W);
    expect(Date.parse(e.window.start) % W).toBe(0);
    for (const r of e.Records) {
      const arrival = r.kinesis.approximateArrivalTimestamp * 1000;
      expect(arrival).toBeGreaterThanOrEqual(Date.parse(e.window.start));
      expect(arrival).toBeLessThan(Date.parse(e.window.end));
    }
  }
  const inWindow = (start: number, final: boolean): Call[] =>
    fn.calls.filter((c) => windowEvent(c).window.start === isoTime(start) && windowEvent(c).isFinalInvokeForWindow === final);

  const w1Batches = inWindow(w1, false);
  expect(w1Batches.flatMap((c) => c.seqs)).toEqual([...first, ...second]);
  let running = 0;
  for (const c of w1Batches) {
    expect(windowEvent(c).state).toEqual(running === 0 ? {} : { count: running });
    running += c.seqs.length;
  }
  const w1Finals = inWindow(w1, true);
  expect(w1Finals.map((c) => c.result?.ok)).toEqual([false, true]);
  for (const c of w1Finals) {
    expect(windowEvent(c).Records).toEqual([]);
    expect(windowEvent(c).state).toEqual({ count: 5 });
  }
  // The second window starts only after the first one's final invoke succeeded, with fresh state.
  const w2Batches = inWindow(w2, false);
  expect(w2Batches.flatMap((c) => c.seqs)).toEqual(third);
  expect(fn.calls.indexOf(w2Batches[0])).toBeGreaterThan(fn.calls.indexOf(w1Finals[1]));
  expect(windowEvent(w2Batches[0]).state).toEqual({});
  expect(inWindow(w2, true).map((c) => windowEvent(c).state)).toEqual([{ count: 2 }]);
  // The final invoke comes once the window's end has passed.
  expect(w1Finals[0].at).toBeGreaterThanOrEqual(w2);
});

test('a response without state is a failed invocation; state over 1 MB terminates the window early', async () => {
  const W = 3000;
  const { name } = await newStream();
  const answers: Array<(e: KinesisTumblingWindowEvent) => unknown> = [
    () => ({ batchItemFailures: [] }),
    () => ({ state: { blob: 'x'.repeat(1024 * 1024 + 10) } }),
    (e) => ({ state: { count: Number(e.state.count ?? 0) + e.Records.length } }),
  ];
  const fn = fakeFunction((event, call) => {
    if (!isWindowEvent(event)) throw new Error('not a window event');
    if (event.isFinalInvokeForWindow) return { state: event.state };
    return (answers[call] ?? answers[2])(event);
  });
  const m = mapping({
    streamName: name,
    properties: { StartingPosition: 'TRIM_HORIZON', TumblingWindowInSeconds: W / 1000, MaximumRetryAttempts: 5 },
    invoke: fn.invoke,
  });
  await m.start();
  const w = await alignToWindow(W, 50);
  const first = await kinesis.put(name, items(2));
  await waitFor(() => fn.calls.length === 2);
  const second = await kinesis.put(name, items(1, 2));
  await waitFor(() => fn.calls.some((c) => windowEvent(c).isFinalInvokeForWindow), 8000, 'final invoke');

  const events = fn.calls.map(windowEvent);
  expect(events.every((e) => e.window.start === isoTime(w))).toBe(true);
  // Call 0 returned no state: the same records are retried, still with empty state.
  expect(fn.calls[0].seqs).toEqual(first);
  expect(fn.calls[1].seqs).toEqual(first);
  expect(events[1].state).toEqual({});
  expect(events[1].isWindowTerminatedEarly).toBe(false);
  // Call 1 returned > 1 MB of state: the window goes on with fresh state, flagged.
  expect(fn.calls[2].seqs).toEqual(second);
  expect(events[2].state).toEqual({});
  expect(events[2].isWindowTerminatedEarly).toBe(true);
  const final = events[events.length - 1];
  expect(final).toMatchObject({ isFinalInvokeForWindow: true, isWindowTerminatedEarly: true, state: { count: 1 }, Records: [] });
});

test('window state in progress survives a restart with the file checkpoint store', async () => {
  const W = 3000;
  const { name } = await newStream();
  const dir = path.join(tmp, 'persist');
  const aggregate = (event: KinesisTumblingWindowEvent): unknown =>
    event.isFinalInvokeForWindow ? { state: {} } : { state: { count: Number(event.state.count ?? 0) + event.Records.length } };
  const behaviour = (event: KinesisInvokeEvent): unknown => {
    if (!isWindowEvent(event)) throw new Error('not a window event');
    return aggregate(event);
  };
  const props = { StartingPosition: 'TRIM_HORIZON', TumblingWindowInSeconds: W / 1000 } as const;
  const before = fakeFunction(behaviour);
  const a = mapping({
    id: 'windowed',
    streamName: name,
    properties: props,
    invoke: before.invoke,
    checkpoints: new FileCheckpointStore(dir),
  });
  await a.start();
  const w = await alignToWindow(W, 50);
  await kinesis.put(name, items(2));
  await waitFor(() => before.calls.length === 1);
  await a.stop();
  expect(Date.now()).toBeLessThan(w + W);

  const after = fakeFunction(behaviour);
  const b = mapping({
    id: 'windowed',
    streamName: name,
    properties: props,
    invoke: after.invoke,
    checkpoints: new FileCheckpointStore(dir),
  });
  await b.start();
  const late = await kinesis.put(name, items(1, 2));
  await waitFor(() => after.calls.some((c) => windowEvent(c).isFinalInvokeForWindow), 8000, 'final invoke after restart');
  const [batch, final] = after.calls.map(windowEvent);
  expect(after.calls[0].seqs).toEqual(late);
  expect(batch.window.start).toBe(isoTime(w));
  expect(batch.state).toEqual({ count: 2 });
  expect(final).toMatchObject({ isFinalInvokeForWindow: true, state: { count: 3 }, window: { start: isoTime(w) } });
  expect(after.calls).toHaveLength(2);
});
