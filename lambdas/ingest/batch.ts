import type { StreamEvent } from '../shared/event';
import { toStreamEvent } from './normalize';
import { expandPathDocument } from './paths';
import { pseudonymizeEvent } from './pseudonymize';
import type { PublishOutcome } from './publish';
import type { EventResult, FieldError } from '../shared/ingest-api';
import type { CheckedEvent, PendingEvent } from './validate';

/** An event waiting for validation, with where it came from in a `/v1/paths` body. */
export interface BatchItem {
  readonly pending: PendingEvent;
  readonly document?: number;
  readonly element?: number;
}

/** A validated event ready for the stream, with its position in the request. */
export interface Publishable {
  readonly index: number;
  readonly event: StreamEvent;
}

/** The items of a `/v1/events` request: each event as posted. Never fails. */
export const eventItems = (events: readonly unknown[]): BatchItem[] => events.map((input) => ({ pending: { input } }));

/**
 * The items of a `/v1/paths` request: every document expanded into its `page_view` events (or,
 * for an invalid document, its elements already refused), flattened in request order. Never fails.
 */
export function pathItems(
  documents: readonly unknown[],
  timeZone: string,
  idKey: Uint8Array | undefined,
  now: Date = new Date(),
): BatchItem[] {
  return documents.flatMap((document, position) =>
    expandPathDocument(document, position, { timeZone, now, ...(idKey !== undefined ? { idKey } : {}) }).map((expanded) => ({
      pending: expanded.event !== undefined ? { input: expanded.event } : { eventId: expanded.eventId, errors: expanded.errors ?? [] },
      document: expanded.document,
      ...(expanded.element !== undefined ? { element: expanded.element } : {}),
    })),
  );
}

/**
 * The valid events as stream records: pseudonymized when `pseudonymization` is given, stamped
 * with `receivedAt`. Never fails.
 */
export function toPublishable(
  checked: readonly CheckedEvent[],
  receivedAt: Date,
  pseudonymization?: { readonly key: Uint8Array; readonly props: ReadonlySet<string> },
): Publishable[] {
  const out: Publishable[] = [];
  for (const { index, check } of checked) {
    if (!check.ok) continue;
    const event =
      pseudonymization === undefined ? check.event : pseudonymizeEvent(check.event, pseudonymization.key, pseudonymization.props);
    out.push({ index, event: toStreamEvent(event, receivedAt) });
  }
  return out;
}

/**
 * One result per item, in request order: rejected with its validation errors, accepted only when
 * the stream took it (an outcome with `ok`), otherwise rejected with the stream's error. Never fails.
 */
export function assembleResults(
  items: readonly BatchItem[],
  checked: readonly CheckedEvent[],
  published: readonly Publishable[],
  outcomes: readonly PublishOutcome[],
): EventResult[] {
  const outcomeByIndex = new Map<number, PublishOutcome>();
  published.forEach(({ index }, position) => {
    const outcome = outcomes[position];
    if (outcome !== undefined) outcomeByIndex.set(index, outcome);
  });

  return checked.map(({ index, eventId, check }) => {
    const item = items[index];
    const origin =
      item?.document !== undefined ? { document: item.document, ...(item.element !== undefined ? { element: item.element } : {}) } : {};
    if (!check.ok) return rejected(index, eventId, check.errors, origin);
    const outcome = outcomeByIndex.get(index);
    if (outcome?.ok === true) return { index, eventId, status: 'accepted', ...origin };
    return rejected(index, eventId, [streamError(outcome)], origin);
  });
}

/** A rejected result with its first error and all of them. */
function rejected(
  index: number,
  eventId: string | null,
  errors: readonly FieldError[],
  origin: { document?: number; element?: number },
): EventResult {
  const first: FieldError = errors[0] ?? { field: '', reason: 'rejected', retryable: false };
  return { index, eventId, status: 'rejected', error: first, errors: errors.length > 0 ? errors : [first], ...origin };
}

/** The client-facing error of a valid event the stream did not take (no outcome counts as not taken). */
function streamError(outcome: PublishOutcome | undefined): FieldError {
  if (outcome === undefined || outcome.ok) return { field: '', reason: 'stream unavailable: NotWritten', retryable: true };
  if (outcome.errorCode === 'RecordTooLarge')
    return { field: '', reason: 'event is larger than the stream accepts (1 MiB per record)', retryable: false };
  return { field: '', reason: `stream unavailable: ${outcome.errorCode}`, retryable: outcome.retryable };
}

/** How many failed outcomes there are per error code, for the log. Never fails. */
export function failureCodes(outcomes: readonly PublishOutcome[]): Record<string, number> {
  const codes: Record<string, number> = {};
  for (const outcome of outcomes) if (!outcome.ok) codes[outcome.errorCode] = (codes[outcome.errorCode] ?? 0) + 1;
  return codes;
}
