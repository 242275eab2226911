import { DateTime, IANAZone } from 'luxon';

/** The 17-digit `yyyyMMddHHmmssSSS` form used by the recharge scenario (requestId prefix, receiveNotifyTime). */
export const COMPACT_FORMAT = 'yyyyMMddHHmmssSSS';

/** Default zone for times written without an offset (the stages' configured zone). */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** True when `zone` is a valid IANA time-zone name. */
export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** Formats epoch milliseconds as 17-digit `yyyyMMddHHmmssSSS` local time in `zone`. */
export function formatCompact(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat(COMPACT_FORMAT);
}

/** Parses a 17-digit `yyyyMMddHHmmssSSS` local time in `zone`; undefined when malformed. */
export function parseCompact(text: string, zone: string): number | undefined {
  if (!/^\d{17}$/.test(text)) return undefined;
  const dt = DateTime.fromFormat(text, COMPACT_FORMAT, { zone });
  return dt.isValid ? dt.toMillis() : undefined;
}

/** Parses an ISO 8601 event time; without an offset it is read in `zone`. Undefined when invalid. */
export function parseEventTime(text: string, zone: string): number | undefined {
  const dt = DateTime.fromISO(text, { zone });
  return dt.isValid ? dt.toMillis() : undefined;
}

/** ISO 8601 UTC with milliseconds, e.g. `2024-05-27T03:40:36.263Z`. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/** The UTC minute containing `ms`, as `YYYY-MM-DDTHH:mmZ` (e.g. `2024-05-27T03:40Z`). */
export function utcMinuteKey(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

/** The calendar date of `ms` in `zone`, as `YYYY-MM-DD`. */
export function localDate(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd');
}

/** Month (1-12) and day (1-31) of `ms` in `zone`. */
export function localMonthDay(ms: number, zone: string): { month: number; day: number } {
  const dt = DateTime.fromMillis(ms, { zone });
  return { month: dt.month, day: dt.day };
}
