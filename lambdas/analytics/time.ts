import { DateTime, IANAZone } from 'luxon';

/**
 * Time helpers shared by the analyses: strict ISO UTC parsing, local minute/day labels and
 * local wall-clock → epoch conversion, all cached per UTC minute / local hour so the hot path
 * does not build a luxon DateTime per event.
 */

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
/** Entries per cache before it is cleared (a bound on memory, not a tuning knob). */
const CACHE_LIMIT = 50_000;

/** True when `year` is a Gregorian leap year. */
const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Days in `month` (1..12) of `year`. */
const daysIn = (year: number, month: number): number => (month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0));

/** Digits of `s` from `start` (inclusive) to `end` (exclusive) as a number, or -1 when one is not 0-9. */
function digitsAt(s: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (`month` 1..12); exact for any year (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * Epoch ms of a validated calendar date-time read as UTC (`month` 1..12), or undefined when a
 * field is out of range (Feb 30, hour 24, …). Never throws.
 */
export function utcFields(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number | undefined {
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0 || ms > 999) return undefined;
  return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + ms;
}

/** Two digits of `s` at `i` as a number, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a < 0 || a > 9 || b < 0 || b > 9 ? -1 : a * 10 + b;
}

/** `YYYY-MM-DDTHH:mm:` of the last time {@link parseIsoUtc} read, and the epoch ms of that minute. */
let lastMinutePrefix = '';
let lastMinuteMs = 0;

/**
 * Epoch ms of an ISO 8601 UTC timestamp in the stream's form `YYYY-MM-DDTHH:mm:ss[.f{1,9}]Z`
 * (what ingest writes: `…:36.263Z`); the fraction is kept to the millisecond. Returns undefined
 * for any other form or an impossible date. Never throws.
 */
export function parseIsoUtc(s: string): number | undefined {
  const n = s.length;
  if (n < 20 || n > 30 || s.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  let ms = 0;
  if (n > 20) {
    if (s.charCodeAt(19) !== 46 /* . */ || n === 21) return undefined;
    const fraction = digitsAt(s, 20, n - 1);
    if (fraction < 0) return undefined;
    const end = Math.min(23, n - 1);
    ms = digitsAt(s, 20, end);
    for (let i = end - 20; i < 3; i++) ms *= 10;
  }
  const second = two(s, 17);
  if (second < 0 || second > 59) return undefined;
  // Events come in time order: most share the minute of the previous one, whose fields and separators were checked already.
  if (lastMinutePrefix !== '' && s.startsWith(lastMinutePrefix)) return lastMinuteMs + second * 1000 + ms;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58)
    return undefined;
  const hi = two(s, 0);
  const lo = two(s, 2);
  if (hi < 0 || lo < 0) return undefined;
  const epochMs = utcFields(hi * 100 + lo, two(s, 5), two(s, 8), two(s, 11), two(s, 14), second, ms);
  if (epochMs !== undefined) {
    lastMinutePrefix = s.slice(0, 17);
    lastMinuteMs = epochMs - second * 1000 - ms;
  }
  return epochMs;
}

/**
 * Epoch ms of a 17-digit `yyyyMMddHHmmssSSS` wall-clock time at the start of `s` (the recharge scenario's
 * `requestId` prefix and `receiveNotifyTime`), read in `timeZone`. `exact` demands that `s` has
 * exactly 17 characters. Returns undefined for anything else. Never throws.
 */
export function parseCompactLocal(s: string, timeZone: string, exact: boolean): number | undefined {
  if (s.length < 17 || (exact && s.length !== 17)) return undefined;
  const naive = utcFields(
    digitsAt(s, 0, 4),
    digitsAt(s, 4, 6),
    digitsAt(s, 6, 8),
    digitsAt(s, 8, 10),
    digitsAt(s, 10, 12),
    digitsAt(s, 12, 14),
    digitsAt(s, 14, 17),
  );
  return naive === undefined ? undefined : localToEpoch(naive, timeZone);
}

const offsetCache = new Map<string, Map<number, number>>();

/**
 * Epoch ms of a wall-clock time in `timeZone`, given as the ms it would have if the wall clock
 * were UTC. The offset is looked up once per local hour (so a DST change at a non-whole hour is
 * off by its fraction for that hour); a skipped local time moves forward by the gap, an ambiguous
 * one takes the later offset (luxon's rules). Throws RangeError for an unknown zone.
 */
export function localToEpoch(naiveMs: number, timeZone: string): number {
  let zoneCache = offsetCache.get(timeZone);
  if (zoneCache === undefined) {
    if (!IANAZone.isValidZone(timeZone)) throw new RangeError(`unknown time zone: ${timeZone}`);
    zoneCache = new Map();
    offsetCache.set(timeZone, zoneCache);
  }
  const hour = Math.floor(naiveMs / MS_PER_HOUR);
  let offset = zoneCache.get(hour);
  if (offset === undefined) {
    const start = hour * MS_PER_HOUR;
    offset = start - DateTime.fromMillis(start, { zone: 'utc' }).setZone(timeZone, { keepLocalTime: true }).toMillis();
    if (zoneCache.size >= CACHE_LIMIT) zoneCache.clear();
    zoneCache.set(hour, offset);
  }
  return naiveMs - offset;
}

const minuteCache = new Map<string, Map<number, string>>();

/**
 * The local wall-clock minute of an instant in `timeZone` as `YYYY-MM-DDTHH:mm` (cached per UTC
 * minute; offsets with seconds, which only pre-1900 local mean times have, are cut to the minute).
 * Throws RangeError for an unknown zone.
 */
export function localMinute(epochMs: number, timeZone: string): string {
  let zoneCache = minuteCache.get(timeZone);
  if (zoneCache === undefined) {
    if (!IANAZone.isValidZone(timeZone)) throw new RangeError(`unknown time zone: ${timeZone}`);
    zoneCache = new Map();
    minuteCache.set(timeZone, zoneCache);
  }
  const minute = Math.floor(epochMs / MS_PER_MINUTE);
  let label = zoneCache.get(minute);
  if (label === undefined) {
    label = DateTime.fromMillis(minute * MS_PER_MINUTE, { zone: timeZone }).toFormat("yyyy-MM-dd'T'HH:mm");
    if (zoneCache.size >= CACHE_LIMIT) zoneCache.clear();
    zoneCache.set(minute, label);
  }
  return label;
}

/** The local date `YYYY-MM-DD` of an instant in `timeZone`. Throws RangeError for an unknown zone. */
export const localDay = (epochMs: number, timeZone: string): string => localMinute(epochMs, timeZone).slice(0, 10);

/** True when `timeZone` is an IANA zone luxon knows. Never throws. */
export const isValidTimeZone = (timeZone: string): boolean => IANAZone.isValidZone(timeZone);
