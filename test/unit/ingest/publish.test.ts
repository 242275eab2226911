import {
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  ResourceNotFoundException,
  type PutRecordsCommandInput,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import {
  chunkIndices,
  encodeRecord,
  KINESIS_LIMITS,
  publishEvents,
  recordBytes,
  type PublishOptions,
} from '../../../lambdas/ingest/publish';
import { aFakeClock, aStreamEvent, putRecordsAnswer, recordsOf } from './factories';

const kinesisMock = mockClient(KinesisClient);
const client = new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

/** Retry options over a fake clock: 5 calls, 100 ms doubling to 2 s, 10 s budget, no jitter. */
function someOptions(overrides: Partial<PublishOptions> = {}) {
  const clock = aFakeClock();
  const options: PublishOptions = {
    streamName: 'events',
    maxAttempts: 5,
    baseDelayMs: 100,
    maxDelayMs: 2000,
    deadline: clock.nowMs() + 10_000,
    now: clock.nowMs,
    sleep: clock.sleep,
    random: () => 1,
    ...overrides,
  };
  return { options, clock };
}

const manyEvents = (count: number) => Array.from({ length: count }, (_, i) => aStreamEvent({ eventId: `e${i}`, userId: `user-${i}` }));

/** The eventIds of every PutRecords call, in call order. */
const callsByEventId = () =>
  kinesisMock.commandCalls(PutRecordsCommand).map((call) => recordsOf(call.args[0].input).map((event) => event.eventId));

beforeEach(() => kinesisMock.reset());

describe('encodeRecord', () => {
  it('is the UTF-8 JSON of the event plus a newline, partitioned by userId', () => {
    // prepare
    const event = aStreamEvent({ userId: 'p_0123', props: { city: '杭州' } });

    // act
    const record = encodeRecord(event);

    // assess
    expect(record.PartitionKey).toBe('p_0123');
    expect(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')).toBe(`${JSON.stringify(event)}\n`);
  });
});

describe('chunkIndices', () => {
  it('cuts at 500 records', () => {
    expect(chunkIndices(new Array<number>(1001).fill(10)).map((chunk) => chunk.length)).toEqual([500, 500, 1]);
  });

  it('cuts before 5 MiB', () => {
    // prepare: six records of 1 MiB − 1 byte each
    const sizes = new Array<number>(6).fill(KINESIS_LIMITS.bytesPerRecord - 1);

    // act
    const chunks = chunkIndices(sizes);

    // assess
    expect(chunks).toEqual([[0, 1, 2, 3, 4], [5]]);
  });
});

describe('publishEvents', () => {
  it('writes every event in one call when the stream takes them all', async () => {
    // prepare
    kinesisMock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input));
    const events = manyEvents(3);

    // act
    const report = await publishEvents(client, events, someOptions().options);

    // assess
    expect(report.calls).toBe(1);
    expect(report.outcomes.every((outcome) => outcome.ok)).toBe(true);
    const [call] = kinesisMock.commandCalls(PutRecordsCommand);
    expect(call?.args[0].input.StreamName).toBe('events');
    expect(call?.args[0].input.Records?.map((record) => record.PartitionKey)).toEqual(['user-0', 'user-1', 'user-2']);
    expect(recordsOf(call?.args[0].input ?? {})).toEqual(events);
  });

  it('retries only the entries that failed, and matches outcomes to the right events', async () => {
    // prepare: the first call fails entries 1 and 3, the second call fails the second of those (e3) again
    kinesisMock
      .on(PutRecordsCommand)
      .callsFakeOnce((input: PutRecordsCommandInput) => putRecordsAnswer(input, [1, 3]))
      .callsFakeOnce((input: PutRecordsCommandInput) => putRecordsAnswer(input, [1], 'InternalFailure'))
      .callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input));
    const { options, clock } = someOptions();

    // act
    const report = await publishEvents(client, manyEvents(5), options);

    // assess
    expect(callsByEventId()).toEqual([['e0', 'e1', 'e2', 'e3', 'e4'], ['e1', 'e3'], ['e3']]);
    expect(report.outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true, true, true]);
    expect(report.outcomes[3]).toEqual({ ok: true, shardId: 'shardId-000000000000', sequenceNumber: '495900000000' });
    expect(report.calls).toBe(3);
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it('never reports ok for entries that fail on every attempt: they come back retryable with the last error', async () => {
    // prepare
    kinesisMock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) =>
      putRecordsAnswer(
        input,
        (input.Records ?? []).map((_, position) => position),
      ),
    );
    const { options, clock } = someOptions();

    // act
    const report = await publishEvents(client, manyEvents(4), options);

    // assess
    expect(report.calls).toBe(5);
    expect(report.outcomes).toEqual(new Array(4).fill({ ok: false, errorCode: 'ProvisionedThroughputExceededException', retryable: true }));
    expect(clock.sleeps).toEqual([100, 200, 400, 800]);
  });

  it('retries a thrown throttling error and then succeeds', async () => {
    // prepare
    kinesisMock
      .on(PutRecordsCommand)
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }))
      .callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input));

    // act
    const report = await publishEvents(client, manyEvents(2), someOptions().options);

    // assess
    expect(report.outcomes.map((outcome) => outcome.ok)).toEqual([true, true]);
    expect(callsByEventId()).toEqual([
      ['e0', 'e1'],
      ['e0', 'e1'],
    ]);
  });

  it('retries a network error', async () => {
    // prepare
    kinesisMock
      .on(PutRecordsCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))
      .callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input));

    // act
    const report = await publishEvents(client, manyEvents(1), someOptions().options);

    // assess
    expect(report).toEqual({ outcomes: [expect.objectContaining({ ok: true })], calls: 2 });
  });

  it('does not retry an error another attempt cannot fix', async () => {
    // prepare
    kinesisMock.on(PutRecordsCommand).rejects(new ResourceNotFoundException({ message: 'Stream events not found', $metadata: {} }));

    // act
    const report = await publishEvents(client, manyEvents(2), someOptions().options);

    // assess
    expect(report.calls).toBe(1);
    expect(report.outcomes).toEqual(new Array(2).fill({ ok: false, errorCode: 'ResourceNotFoundException', retryable: true }));
  });

  it('stops retrying when the next backoff would pass the deadline', async () => {
    // prepare
    kinesisMock.on(PutRecordsCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));
    const clock = aFakeClock();
    const { options } = someOptions({ deadline: clock.nowMs() + 250, now: clock.nowMs, sleep: clock.sleep });

    // act
    const report = await publishEvents(client, manyEvents(1), options);

    // assess: 100 ms fits, 100 + 200 does not
    expect(report.calls).toBe(2);
    expect(clock.sleeps).toEqual([100]);
    expect(report.outcomes[0]).toEqual({ ok: false, errorCode: 'ProvisionedThroughputExceededException', retryable: true });
  });

  it('draws the backoff between half and all of the exponential delay', async () => {
    // prepare
    kinesisMock.on(PutRecordsCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));
    const { options, clock } = someOptions({ random: () => 0, maxAttempts: 7 });

    // act
    await publishEvents(client, manyEvents(1), options);

    // assess: half of 100, 200, 400, 800, 1600, 2000 (capped)
    expect(clock.sleeps).toEqual([50, 100, 200, 400, 800, 1000]);
  });

  it('treats an entry without a sequence number, or an answer of the wrong length, as not written', async () => {
    // prepare
    kinesisMock
      .on(PutRecordsCommand)
      .resolvesOnce({ FailedRecordCount: 0, Records: [{ ShardId: 'shardId-000000000000', SequenceNumber: '1' }, {}] })
      .resolvesOnce({ FailedRecordCount: 0, Records: [] })
      .callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input));

    // act
    const report = await publishEvents(client, manyEvents(2), someOptions().options);

    // assess
    expect(callsByEventId()).toEqual([['e0', 'e1'], ['e1'], ['e1']]);
    expect(report.outcomes.map((outcome) => outcome.ok)).toEqual([true, true]);
  });

  it('splits more than 500 records into calls of at most 500, in order, and retries within each', async () => {
    // prepare: the first call's last entry fails once
    kinesisMock
      .on(PutRecordsCommand)
      .callsFakeOnce((input: PutRecordsCommandInput) => putRecordsAnswer(input, [499]))
      .callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input));
    const events = manyEvents(1201);

    // act
    const report = await publishEvents(client, events, someOptions().options);

    // assess
    const calls = callsByEventId();
    expect(calls.map((ids) => ids.length)).toEqual([500, 1, 500, 201]);
    expect(calls[1]).toEqual(['e499']);
    expect(calls.flat().filter((id, i, all) => all.indexOf(id) === i)).toEqual(events.map((event) => event.eventId));
    expect(report.outcomes.filter((outcome) => outcome.ok)).toHaveLength(1201);
  });

  it('refuses a record over 1 MiB without sending it, and not as retryable', async () => {
    // prepare
    kinesisMock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input));
    const huge = aStreamEvent({ eventId: 'huge', errorMsg: 'x'.repeat(KINESIS_LIMITS.bytesPerRecord) });
    const events = [aStreamEvent({ eventId: 'small' }), huge];

    // act
    const report = await publishEvents(client, events, someOptions().options);

    // assess
    expect(recordBytes(encodeRecord(huge))).toBeGreaterThan(KINESIS_LIMITS.bytesPerRecord);
    expect(callsByEventId()).toEqual([['small']]);
    expect(report.outcomes[1]).toEqual({ ok: false, errorCode: 'RecordTooLarge', retryable: false });
  });
});
