import { DateTime, FixedOffsetZone, type Zone } from 'luxon';
import type { EventInput, StreamEvent } from '../shared/event';

/** The result of reading one `createdAt`: the instant as ISO 8601 UTC with milliseconds, or why it is not one. */
export type NormalizedTime = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

/**
 * Accepted forms: `YYYY-MM-DD` then `T` or one space, `HH:mm`, optional `:ss`, optional
 * fraction (`.` or `,`, 1..9 digits; kept to the millisecond, not rounded), optional offset
 * (`Z`, `±HH`, `±HHmm`, `±HH:mm`). Date-only, week and ordinal dates are refused: an event
 * time names an instant.
 */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:(Z|z)|([+-])(\d{2})(?::?(\d{2}))?)?$/;

const FORMAT_HINT = 'must be an ISO 8601 date and time such as 2024-05-27T11:40:36.263Z or 2024-05-27 11:40:36';

/** Earliest accepted event time: 2000-01-01T00:00:00Z. */
export const EARLIEST_CREATED_AT_MS = Date.UTC(2000, 0, 1);

/** How far past the time of receipt an event time may lie (clock skew of producers): 1 day. */
export const MAX_CREATED_AT_AHEAD_MS = 86_400_000;

/** Why an instant (epoch ms) is outside 2000-01-01Z .. `now` + 1 day, or undefined when it is inside. Never fails. */
export function createdAtRangeProblem(instantMs: number, now: Date): string | undefined {
  const latest = now.getTime() + MAX_CREATED_AT_AHEAD_MS;
  if (instantMs >= EARLIEST_CREATED_AT_MS && instantMs <= latest) return undefined;
  const earliestIso = new Date(EARLIEST_CREATED_AT_MS).toISOString();
  const side = instantMs < EARLIEST_CREATED_AT_MS ? 'before' : 'after';
  return `is out of range: must lie from ${earliestIso} to 1 day after now (${new Date(latest).toISOString()}); it is ${side} that`;
}

/**
 * Reads `raw` as an instant and returns it as ISO 8601 UTC with milliseconds (`…Z`); without an
 * offset it is wall-clock time in `timeZone` (a time skipped by a DST change moves forward by the
 * gap, an ambiguous one takes luxon's choice, the later offset). An instant before 2000-01-01Z or
 * more than 1 day after `now` is refused (so every stored time has a four-digit year). Returns
 * `ok: false` with a reason instead of throwing.
 */
export function normalizeCreatedAt(raw: string, timeZone: string, now: Date = new Date()): NormalizedTime {
  const match = TIMESTAMP.exec(raw.trim());
  if (match === null) return { ok: false, reason: FORMAT_HINT };
  const [, year, month, day, hour, minute, second, fraction, utc, sign, offsetHours, offsetMinutes] = match;

  if (Number(hour) > 23) return { ok: false, reason: 'hour must be 00..23' };
  if (Number(minute) > 59) return { ok: false, reason: 'minute must be 00..59' };
  if (second !== undefined && Number(second) > 59) return { ok: false, reason: 'second must be 00..59' };

  let zone: Zone | string = timeZone;
  if (utc !== undefined) {
    zone = FixedOffsetZone.utcInstance;
  } else if (sign !== undefined) {
    const minutes = Number(offsetHours) * 60 + Number(offsetMinutes ?? '0');
    if (Number(offsetHours) > 18 || Number(offsetMinutes ?? '0') > 59 || minutes > 18 * 60) {
      return { ok: false, reason: 'offset must be within ±18:00' };
    }
    zone = FixedOffsetZone.instance(sign === '-' ? -minutes : minutes);
  }

  const instant = DateTime.fromObject(
    {
      year: Number(year),
      month: Number(month),
      day: Number(day),
      hour: Number(hour),
      minute: Number(minute),
      second: Number(second ?? '0'),
      millisecond: Number((fraction ?? '0').padEnd(3, '0').slice(0, 3)),
    },
    { zone },
  );
  if (!instant.isValid) return { ok: false, reason: `is not a valid date: ${raw.trim().slice(0, 10)} does not exist` };
  const outOfRange = createdAtRangeProblem(instant.toMillis(), now);
  if (outOfRange !== undefined) return { ok: false, reason: outOfRange };
  const iso = instant.toUTC().toISO();
  if (iso === null) return { ok: false, reason: FORMAT_HINT };
  return { ok: true, value: iso };
}

/**
 * Builds the stream record from a validated event whose `createdAt` is already normalised, adding
 * `receivedAt` (ISO 8601 UTC with milliseconds); keys come in one fixed order. Never fails.
 */
export function toStreamEvent(event: EventInput, receivedAt: Date): StreamEvent {
  return {
    eventId: event.eventId,
    action: event.action,
    userId: event.userId,
    createdAt: event.createdAt,
    receivedAt: receivedAt.toISOString(),
    ...(event.sessionId !== undefined ? { sessionId: event.sessionId } : {}),
    ...(event.objectId !== undefined ? { objectId: event.objectId } : {}),
    ...(event.bizId !== undefined ? { bizId: event.bizId } : {}),
    ...(event.path !== undefined ? { path: event.path } : {}),
    ...(event.step !== undefined ? { step: event.step } : {}),
    ...(event.prevPath !== undefined ? { prevPath: event.prevPath } : {}),
    ...(event.errorMsg !== undefined ? { errorMsg: event.errorMsg } : {}),
    ...(event.props !== undefined ? { props: event.props } : {}),
  };
}
