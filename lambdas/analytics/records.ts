import { z } from 'zod';
import { EVENT_LIMITS, eventInputSchema, type StreamEvent } from '../shared/event';
import { parseIsoUtc } from './time';

/**
 * The part of a Kinesis record of a Lambda event (`KinesisStreamRecord` of `@types/aws-lambda`)
 * that the analyses read; any `KinesisStreamRecord` is one.
 */
export interface KinesisRecordLike {
  readonly kinesis: {
    /** Base64 of the record's bytes: one UTF-8 JSON event and "\n", as ingest writes it. */
    readonly data: string;
    /** Decimal string, up to 128 digits, increasing within a shard. */
    readonly sequenceNumber: string;
    readonly partitionKey?: string;
    /** Seconds since the epoch, with a fraction (as Lambda delivers it). */
    readonly approximateArrivalTimestamp: number;
  };
}

/** A stream event with its two times already parsed (epoch ms), so analyses do not parse them again. */
export interface TimedEvent {
  readonly event: StreamEvent;
  readonly createdMs: number;
  readonly receivedMs: number;
}

/** A record that holds a valid stream event. `arrival` is the approximate arrival time in epoch ms. */
export interface DecodedEvent extends TimedEvent {
  readonly ok: true;
  readonly seq: string;
  readonly arrival: number;
}

/** A record that does not (a poison record): retrying cannot fix it; `reason` says what failed. */
export interface PoisonRecord {
  readonly ok: false;
  readonly seq: string;
  readonly arrival: number;
  readonly reason: string;
}

export type DecodedRecord = DecodedEvent | PoisonRecord;

/** Longest poison reason kept (a reason quotes parser messages, which may quote the input). */
const MAX_REASON = 300;

const ISO_UTC_HINT = 'must be an ISO 8601 UTC time such as 2024-05-27T03:40:36.263Z';
const isoUtc = z.string().refine((s) => parseIsoUtc(s) !== undefined, ISO_UTC_HINT);

/**
 * The event as read from the stream: the v1 input schema with `createdAt` and `receivedAt` as ISO
 * UTC. Unknown top-level fields are dropped, not refused (a tolerant reader: a field added by a
 * newer ingest must not turn every record into poison).
 */
export const streamEventSchema = z.object({ ...eventInputSchema.shape, createdAt: isoUtc, receivedAt: isoUtc });

/** Field names a stream event may carry (others send the event down the slow, stripping path). */
const OPTIONAL_IDS = new Set(['sessionId', 'objectId', 'bizId']);

/** True when `v` is a string of `min`..`max` UTF-16 units (zod's `.min`/`.max` count the same way). */
const isText = (v: unknown, min: number, max: number): boolean => typeof v === 'string' && v.length >= min && v.length <= max;

/** True when `v` is a valid `props` object (mirrors `eventInputSchema`; `__proto__` keys take the slow path). */
function isProps(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  let keys = 0;
  for (const key in v) {
    if (!Object.prototype.hasOwnProperty.call(v, key)) return false;
    keys += 1;
    if (keys > EVENT_LIMITS.propsKeys || key.length === 0 || key.length > EVENT_LIMITS.propKeyLength || key === '__proto__') return false;
    const value: unknown = (v as Record<string, unknown>)[key];
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return false;
    } else if (typeof value !== 'string' || value.length > EVENT_LIMITS.propStringLength) return false;
  }
  return true;
}

/**
 * The fast path of validation: true only for values `streamEventSchema` accepts unchanged (no
 * unknown keys to strip) — the two times still have to parse. Anything else goes to zod, which is
 * the authority and names the field.
 */
function isStreamEventFast(v: unknown): v is StreamEvent {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  let required = 0;
  for (const key in o) {
    const value = o[key];
    switch (key) {
      case 'eventId':
      case 'userId':
        if (!isText(value, 1, EVENT_LIMITS.idLength)) return false;
        required += 1;
        break;
      case 'action':
        if (!isText(value, 1, EVENT_LIMITS.actionLength)) return false;
        required += 1;
        break;
      case 'createdAt':
      case 'receivedAt':
        if (typeof value !== 'string') return false;
        required += 1;
        break;
      case 'path':
        if (!isText(value, 1, EVENT_LIMITS.pathLength)) return false;
        break;
      case 'prevPath':
        if (!isText(value, 1, EVENT_LIMITS.pathLength)) return false;
        break;
      case 'step':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > EVENT_LIMITS.maxStep) return false;
        break;
      case 'errorMsg':
        if (!isText(value, 0, EVENT_LIMITS.errorMsgLength)) return false;
        break;
      case 'props':
        if (!isProps(value)) return false;
        break;
      default:
        if (!OPTIONAL_IDS.has(key) || !isText(value, 1, EVENT_LIMITS.idLength)) return false;
    }
  }
  return required === 5;
}

/** `props.amount`, `el[3]`, or `(root)` for the whole value. */
function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`),
    '',
  );
}

/** The value at `path` inside `root`, or undefined. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** `field userId: is required; field props.x: …` from zod issues about `input`. */
function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string {
  return issues
    .map((issue) => {
      const missing = issue.code === 'invalid_type' && issue.path.length > 0 && valueAt(input, issue.path) === undefined;
      return `field ${fieldName(issue.path)}: ${missing ? 'is required' : issue.message}`;
    })
    .join('; ');
}

const clip = (reason: string): string => (reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason);

/** Why `value` is no stream event (the slow path: zod names the field), or zod's stripped copy and its times. */
function validateSlowly(
  value: unknown,
): { readonly event: StreamEvent; readonly createdMs: number; readonly receivedMs: number } | { readonly reason: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      reason: `not an event: must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    };
  }
  const parsed = streamEventSchema.safeParse(value);
  if (!parsed.success) return { reason: describeIssues(parsed.error.issues, value) };
  const createdMs = parseIsoUtc(parsed.data.createdAt);
  const receivedMs = parseIsoUtc(parsed.data.receivedAt);
  return createdMs === undefined || receivedMs === undefined
    ? { reason: 'field createdAt: unreadable' }
    : { event: parsed.data, createdMs, receivedMs };
}

/**
 * Strict UTF-8 (an invalid sequence throws instead of becoming U+FFFD) that keeps a leading BOM
 * (which JSON.parse then refuses, as it refuses any other stray character): one pass that checks
 * and decodes.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Where records are base64-decoded (grown to the largest record seen; reused, so a record costs no allocation). */
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

/** The bytes of a base64 string, as a view of {@link scratch} valid until the next call. Never throws (invalid characters are skipped, as Buffer.from skips them). */
function base64Bytes(data: string): Uint8Array {
  // Base64 gives at most 3 bytes per 4 characters.
  const most = Math.ceil(data.length / 4) * 3;
  if (most > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(most, scratch.length * 2));
  return scratch.subarray(0, scratch.write(data, 'base64'));
}

/**
 * Decodes one Kinesis record: base64 → UTF-8 → JSON (the trailing "\n" is JSON whitespace) →
 * stream event. Never throws: a record that is not base64 UTF-8 JSON, or not a valid event, comes
 * back as a {@link PoisonRecord} whose reason starts with "not base64 JSON: " or names the field.
 */
export function decodeRecord(record: KinesisRecordLike): DecodedRecord {
  const { data, sequenceNumber: seq, approximateArrivalTimestamp } = record.kinesis;
  const arrival = Math.round(approximateArrivalTimestamp * 1000);
  const bytes = base64Bytes(typeof data === 'string' ? data : '');
  if (bytes.length === 0) return { ok: false, seq, arrival, reason: 'not base64 JSON: empty record' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, seq, arrival, reason: 'not base64 JSON: not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, seq, arrival, reason: clip(`not base64 JSON: ${error instanceof Error ? error.message : String(error)}`) };
  }
  if (isStreamEventFast(value)) {
    const createdMs = parseIsoUtc(value.createdAt);
    const receivedMs = parseIsoUtc(value.receivedAt);
    if (createdMs !== undefined && receivedMs !== undefined) return { ok: true, event: value, seq, arrival, createdMs, receivedMs };
  }
  const checked = validateSlowly(value);
  if ('reason' in checked) return { ok: false, seq, arrival, reason: clip(checked.reason) };
  return { ok: true, event: checked.event, seq, arrival, createdMs: checked.createdMs, receivedMs: checked.receivedMs };
}

/** Decodes every record of a batch in order (see {@link decodeRecord}). Never throws. */
export const decodeRecords = (records: readonly KinesisRecordLike[]): DecodedRecord[] => records.map(decodeRecord);

/** Kinesis sequence numbers are at most this many decimal digits. */
export const SEQ_DIGITS = 128;

/** `seq` without leading zeros ("0" stays "0"). */
function stripZeros(seq: string): string {
  let i = 0;
  while (i < seq.length - 1 && seq.charCodeAt(i) === 48) i += 1;
  return i === 0 ? seq : seq.slice(i);
}

/**
 * Compares two Kinesis sequence numbers (decimal strings, padded or not) numerically: negative
 * when `a` comes first, 0 when equal, positive after. Never throws (non-digits compare as text).
 */
export function compareSeq(a: string, b: string): number {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Left-pads a sequence number with zeros to {@link SEQ_DIGITS} digits, so that string order is
 * numeric order (for DynamoDB conditions such as `wm < :seq`). Never fails: a longer input comes back unchanged.
 */
export const padSeq = (seq: string): string => seq.padStart(SEQ_DIGITS, '0');

/** The larger of two sequence numbers (`undefined` counts as smaller than any). Never throws. */
export const maxSeq = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : compareSeq(a, b) >= 0 ? a : b;
