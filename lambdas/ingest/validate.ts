import type { z } from 'zod';
import { eventInputSchema, type EventInput } from '../shared/event';
import { BODY_FIELD } from '../shared/http';
import type { FieldIssue } from '../shared/issues';
import { normalizeCreatedAt } from './normalize';
import { invalid, type FieldError } from '../shared/ingest-api';

/** The outcome of checking one event: the event with `createdAt` normalised to UTC, or every problem found. */
export type EventCheck = { readonly ok: true; readonly event: EventInput } | { readonly ok: false; readonly errors: readonly FieldError[] };

/** One event of a request after validation, with the position and `eventId` its result reports. */
export interface CheckedEvent {
  readonly index: number;
  readonly eventId: string | null;
  readonly check: EventCheck;
}

/** Reason given to the second and later events of a request that reuse an accepted event's `eventId`. */
export const DUPLICATE_REASON = 'duplicate eventId in this request';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Formats a value path as clients read it: `props.amount`, `el[3].ct`, `props["a b"]`; the root
 * is `""`. Never fails.
 */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const name = String(key);
    if (IDENTIFIER.test(name)) return out === '' ? name : `${out}.${name}`;
    return `${out}[${JSON.stringify(name)}]`;
  }, '');
}

/** True when `value` is a JSON object (not null, not an array). Never fails. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at `path` inside `root`, or undefined when any step is missing. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

const article = (type: string) => (/^[aeiou]/.test(type) ? 'an' : 'a');

/** A zod type name as a JSON reader knows it. */
const jsonTypeName = (expected: string) => (expected === 'record' ? 'object' : expected === 'int' ? 'integer' : expected);

/**
 * Turns zod issues about `input` into field errors with short, client-facing reasons: a missing
 * field "is required", a wrong type "must be a string", an unknown key "unknown field" (one error
 * per key). Never fails.
 */
export function toFieldErrors(issues: readonly z.core.$ZodIssue[], input: unknown, prefix: readonly PropertyKey[] = []): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) errors.push(invalid(formatFieldPath([...path, key]), 'unknown field'));
        break;
      case 'invalid_type': {
        const value = valueAt(input, issue.path);
        const type = jsonTypeName(issue.expected);
        if (value === undefined) errors.push(invalid(formatFieldPath(path), path.length === 0 ? `must be a JSON ${type}` : 'is required'));
        else if (path.length === 0) errors.push(invalid('', `must be a JSON ${type}`));
        else errors.push(invalid(formatFieldPath(path), `must be ${article(type)} ${type}`));
        break;
      }
      case 'invalid_key': {
        const inner = issue.issues[0];
        errors.push(invalid(formatFieldPath(path), inner?.message ?? issue.message));
        break;
      }
      case 'invalid_union': {
        const value = valueAt(input, issue.path);
        const nonFinite = typeof value === 'number' && !Number.isFinite(value);
        errors.push(invalid(formatFieldPath(path), nonFinite ? 'must be a finite number' : issue.message));
        break;
      }
      default:
        errors.push(invalid(formatFieldPath(path), issue.message));
    }
  }
  return errors;
}

/** Top-level fields in schema order; errors are reported in this order, unknown fields last. */
const FIELD_ORDER: readonly string[] = Object.keys(eventInputSchema.shape);

/** The rank of an error's top-level field: the root first, then schema order, then unknown fields. */
function fieldRank(field: string): number {
  if (field === '') return -1;
  const top = /^[^.[]+/.exec(field)?.[0] ?? field;
  const rank = FIELD_ORDER.indexOf(top);
  return rank === -1 ? FIELD_ORDER.length : rank;
}

/** The errors sorted by {@link fieldRank}, keeping the order of errors on the same field. */
const inFieldOrder = (errors: readonly FieldError[]): FieldError[] =>
  errors
    .map((error, position) => ({ error, position }))
    .sort((a, b) => fieldRank(a.error.field) - fieldRank(b.error.field) || a.position - b.position)
    .map(({ error }) => error);

/**
 * Checks one event against the v1 schema and normalises its `createdAt` to UTC in `timeZone`
 * (refusing times before 2000-01-01Z or more than 1 day after `now`);
 * returns every problem found (in schema field order, unknown fields last)
 * instead of throwing.
 */
export function checkEvent(input: unknown, timeZone: string, now: Date = new Date()): EventCheck {
  const parsed = eventInputSchema.safeParse(input);
  const errors = parsed.success ? [] : toFieldErrors(parsed.error.issues, input);

  // zod drops a "__proto__" key of a record without a word (JSON.parse keeps it as an own key): say so instead.
  const rawProps = isPlainObject(input) ? input.props : undefined;
  if (isPlainObject(rawProps) && Object.prototype.hasOwnProperty.call(rawProps, '__proto__')) {
    errors.push(invalid(formatFieldPath(['props', '__proto__']), 'keys must not be "__proto__"'));
  }

  const rawCreatedAt = isPlainObject(input) ? input.createdAt : undefined;
  const createdAtIsWellFormedString = typeof rawCreatedAt === 'string' && !errors.some((error) => error.field === 'createdAt');
  const createdAt = createdAtIsWellFormedString ? normalizeCreatedAt(rawCreatedAt, timeZone, now) : undefined;
  if (createdAt !== undefined && !createdAt.ok) errors.push(invalid('createdAt', createdAt.reason));

  if (!parsed.success || errors.length > 0 || createdAt === undefined || !createdAt.ok) return { ok: false, errors: inFieldOrder(errors) };
  return { ok: true, event: { ...parsed.data, createdAt: createdAt.value } };
}

/** The `eventId` a result reports for `input`: its `eventId` when that is a string, else null. Never fails. */
export function eventIdOf(input: unknown): string | null {
  return isPlainObject(input) && typeof input.eventId === 'string' ? input.eventId : null;
}

/** An event waiting for validation: a raw input, or one already refused upstream (an invalid path document). */
export type PendingEvent = { readonly input: unknown } | { readonly eventId: string | null; readonly errors: readonly FieldError[] };

/**
 * Checks every event of a request in order (already-refused ones pass through). An event reusing
 * the `eventId` of an earlier *valid* event of the same request is rejected on `eventId` with
 * {@link DUPLICATE_REASON} (the first valid occurrence wins; an invalid earlier one does not block
 * a later valid one). Never fails.
 */
export function checkEvents(pending: readonly PendingEvent[], timeZone: string, now: Date = new Date()): CheckedEvent[] {
  const seen = new Set<string>();
  return pending.map((item, index) => {
    if (!('input' in item)) return { index, eventId: item.eventId, check: { ok: false, errors: item.errors } };
    const check = checkEvent(item.input, timeZone, now);
    const eventId = eventIdOf(item.input);
    if (!check.ok) return { index, eventId, check };
    if (seen.has(check.event.eventId)) {
      return { index, eventId, check: { ok: false, errors: [invalid('eventId', DUPLICATE_REASON)] } };
    }
    seen.add(check.event.eventId);
    return { index, eventId, check };
  });
}

/**
 * Reads the events of a `POST /v1/events` body: `{"events":[…]}` with 1..`maxEvents` items, or
 * one event object (an object without an `events` key). Any other shape, an empty or too long
 * list, or other keys next to `events` is a {@link FieldIssue} (the whole request gets 400).
 */
export function extractEvents(
  body: unknown,
  maxEvents: number,
): { readonly ok: true; readonly events: readonly unknown[] } | { readonly ok: false; readonly error: FieldIssue } {
  if (!isPlainObject(body)) {
    return { ok: false, error: { field: BODY_FIELD, reason: 'must be a JSON object: {"events":[…]} or a single event' } };
  }
  if (!Object.prototype.hasOwnProperty.call(body, 'events')) return { ok: true, events: [body] };

  const extra = Object.keys(body).find((key) => key !== 'events');
  if (extra !== undefined) return { ok: false, error: { field: formatFieldPath([extra]), reason: 'unknown field next to events' } };
  const events = body.events;
  if (!Array.isArray(events)) return { ok: false, error: { field: 'events', reason: 'must be an array of events' } };
  if (events.length === 0) return { ok: false, error: { field: 'events', reason: 'must contain at least 1 event' } };
  if (events.length > maxEvents) {
    return { ok: false, error: { field: 'events', reason: `at most ${maxEvents} events per request, got ${events.length}` } };
  }
  return { ok: true, events };
}
