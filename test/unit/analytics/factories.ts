import type { KinesisRecordLike } from '../../../lambdas/analytics/records';
import type { DecodedEvent } from '../../../lambdas/analytics/records';
import type { PropValue, StreamEvent } from '../../../lambdas/shared/event';

/** Adds `ms` to an ISO UTC time. */
export const plusMs = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

/**
 * A stream event (validated, `createdAt` in ISO UTC). `receivedAt` defaults to one second after
 * `createdAt`, as for a live producer.
 */
export function aStreamEvent(overrides: Partial<StreamEvent> = {}): StreamEvent {
  const createdAt = overrides.createdAt ?? '2024-05-27T03:40:36.263Z';
  return {
    eventId: 'e1',
    action: 'page_view',
    userId: 'user-1',
    createdAt,
    receivedAt: plusMs(createdAt, 1000),
    ...overrides,
  };
}

/** A realistic Kinesis sequence number (56 digits), increasing with `n`. */
const SEQ_PREFIX = '49590338271490256608559692538361571095921575989136';
export const aSeq = (n: number): string => `${SEQ_PREFIX}${String(n).padStart(6, '0')}`;

/** A Kinesis record whose data is `payload` as JSON + "\n" (a string payload is sent as raw text). */
export function aKinesisRecord(payload: unknown, n = 1, arrivalSeconds = 1716781237.123): KinesisRecordLike {
  const text = typeof payload === 'string' ? payload : `${JSON.stringify(payload)}\n`;
  return {
    kinesis: {
      data: Buffer.from(text, 'utf8').toString('base64'),
      sequenceNumber: aSeq(n),
      partitionKey: 'user-1',
      approximateArrivalTimestamp: arrivalSeconds,
    },
  };
}

/** A Kinesis record with raw bytes as data. */
export const aRawRecord = (bytes: Buffer, n = 1): KinesisRecordLike => ({
  kinesis: { data: bytes.toString('base64'), sequenceNumber: aSeq(n), approximateArrivalTimestamp: 1716781237.123 },
});

/** A decoded record of `event` with the `n`-th sequence number. */
export const aDecoded = (event: StreamEvent, n: number): DecodedEvent => ({
  ok: true,
  event,
  seq: aSeq(n),
  arrival: 1716781237123 + n,
  createdMs: Date.parse(event.createdAt),
  receivedMs: Date.parse(event.receivedAt),
});

/** Decoded records of `events`, numbered from `from`. */
export const decodedAll = (events: readonly StreamEvent[], from = 1): DecodedEvent[] => events.map((event, i) => aDecoded(event, from + i));

/** `{event, seq}` pairs of `events`, numbered from `from`. */
export const sequenced = (events: readonly StreamEvent[], from = 1): { event: StreamEvent; seq: string }[] =>
  events.map((event, i) => ({ event, seq: aSeq(from + i) }));

/** `count` events with errorMsg `[warn] …` for `action`, ids `<prefix>0…`. */
export const someWarnings = (count: number, action: string, prefix = `${action}-w`): StreamEvent[] =>
  Array.from({ length: count }, (_, i) =>
    aStreamEvent({ eventId: `${prefix}${i}`, action, userId: `user-${i % 4}`, errorMsg: `[warn] slow response (${200 + i} ms)` }),
  );

/** The recharge scenario's recharge notification. `start`/`notified` are 17-digit wall-clock times. */
export function aRechargeNotify(options: {
  readonly eventId: string;
  readonly success?: boolean;
  readonly fee?: PropValue;
  readonly start?: string;
  readonly notified?: string;
  readonly provinceCode?: string;
  readonly createdAt?: string;
}): StreamEvent {
  const start = options.start ?? '20240527114036263';
  return aStreamEvent({
    eventId: options.eventId,
    action: 'reChargeNotifyReq',
    userId: 'cm-0001',
    createdAt: options.createdAt ?? '2024-05-27T03:40:38.100Z',
    props: {
      requestId: `${start}482913004711356`,
      bussinessRst: options.success === false ? '2003' : '0000',
      chargefee: options.fee ?? 50,
      provinceCode: options.provinceCode ?? '571',
      receiveNotifyTime: options.notified ?? '20240527114038100',
    },
  });
}

/** A page view of `userId` at `createdAt` on `path` (optionally in session `sessionId`). */
export const aPageView = (eventId: string, path: string, createdAt: string, extra: Partial<StreamEvent> = {}): StreamEvent =>
  aStreamEvent({ eventId, action: 'page_view', userId: 'visitor-1', path, createdAt, ...extra });
