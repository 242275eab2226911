import { assembleResults, eventItems, failureCodes, toPublishable } from '../../../lambdas/ingest/batch';
import { pseudonym } from '../../../lambdas/ingest/pseudonymize';
import type { PublishOutcome } from '../../../lambdas/ingest/publish';
import { checkEvents } from '../../../lambdas/ingest/validate';
import { anEvent, someEvents } from './factories';

const TZ = 'Asia/Shanghai';
const RECEIVED_AT = new Date('2024-05-27T03:41:00.000Z');
const written: PublishOutcome = { ok: true, shardId: 'shardId-000000000000', sequenceNumber: '1' };

/** Items, checks and publishable records of `events`. */
function prepared(events: readonly unknown[]) {
  const items = eventItems(events);
  const checked = checkEvents(
    items.map((item) => item.pending),
    TZ,
  );
  return { items, checked, publishable: toPublishable(checked, RECEIVED_AT) };
}

describe('toPublishable', () => {
  it('keeps only valid events, stamped with receivedAt, with their request index', () => {
    // prepare
    const { checked } = prepared([anEvent({ eventId: 'a', userId: '' }), anEvent({ eventId: 'b' })]);

    // act
    const publishable = toPublishable(checked, RECEIVED_AT);

    // assess
    expect(publishable).toEqual([{ index: 1, event: expect.objectContaining({ eventId: 'b', receivedAt: '2024-05-27T03:41:00.000Z' }) }]);
  });

  it('pseudonymizes when asked', () => {
    // prepare
    const key = Buffer.from('k'.repeat(32));
    const { checked } = prepared([anEvent({ userId: 'alice' })]);

    // act
    const [entry] = toPublishable(checked, RECEIVED_AT, { key, props: new Set() });

    // assess
    expect(entry?.event.userId).toBe(pseudonym('alice', key));
  });
});

describe('assembleResults', () => {
  it('matches each outcome to the event it belongs to, past rejected events', () => {
    // prepare
    const { items, checked, publishable } = prepared([anEvent({ eventId: 'bad', action: '' }), ...someEvents(2)]);
    const outcomes: PublishOutcome[] = [{ ok: false, errorCode: 'InternalFailure', retryable: true }, written];

    // act
    const results = assembleResults(items, checked, publishable, outcomes);

    // assess
    expect(results.map((result) => [result.index, result.eventId, result.status, result.error?.reason])).toEqual([
      [0, 'bad', 'rejected', 'must not be empty'],
      [1, 'e0', 'rejected', 'stream unavailable: InternalFailure'],
      [2, 'e1', 'accepted', undefined],
    ]);
  });

  it('never accepts a valid event without an outcome', () => {
    // prepare
    const { items, checked, publishable } = prepared(someEvents(1));

    // act
    const [result] = assembleResults(items, checked, publishable, []);

    // assess
    expect(result).toMatchObject({ status: 'rejected', error: { field: '', reason: 'stream unavailable: NotWritten', retryable: true } });
  });

  it('reports a record too large for the stream as not retryable', () => {
    // prepare
    const { items, checked, publishable } = prepared(someEvents(1));

    // act
    const [result] = assembleResults(items, checked, publishable, [{ ok: false, errorCode: 'RecordTooLarge', retryable: false }]);

    // assess
    expect(result?.error).toEqual({ field: '', reason: 'event is larger than the stream accepts (1 MiB per record)', retryable: false });
  });
});

describe('failureCodes', () => {
  it('counts failed outcomes per code', () => {
    expect(
      failureCodes([
        written,
        { ok: false, errorCode: 'InternalFailure', retryable: true },
        { ok: false, errorCode: 'InternalFailure', retryable: true },
        { ok: false, errorCode: 'ProvisionedThroughputExceededException', retryable: true },
      ]),
    ).toEqual({ InternalFailure: 2, ProvisionedThroughputExceededException: 1 });
  });
});
