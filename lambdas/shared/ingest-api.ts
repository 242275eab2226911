import { z } from 'zod';
import type { FieldIssue } from './issues';

/** A producer's name (it names its key): 1..32 lower-case letters, digits or dashes (a regular-expression source). */
export const PRODUCER_NAME = '[a-z0-9-]{1,32}';
/** At most this many producers per stage. */
export const MAX_PRODUCERS = 20;

/**
 * Why one event was not accepted. `field` is the path of the offending value (`userId`,
 * `props.amount`, `el[3].ct`, an unknown key's name), `""` when the problem is not one field's
 * (the event is not an object, or the stream refused it). `retryable` is true when sending the
 * same event again later may succeed (the stream failed), false when the event must be fixed.
 */
export interface FieldError extends FieldIssue {
  readonly retryable: boolean;
}

/** A validation problem with a field: never retryable. */
export const invalid = (field: string, reason: string): FieldError => ({ field, reason, retryable: false });

/**
 * One entry of the response's `results`, in request order. `index` is the position among the
 * request's events (for `/v1/paths`, among all expanded path elements), so clients can match
 * results even when `eventId` is missing (`null`). A rejected entry carries `error` (its first
 * problem) and `errors` (every problem found, `errors[0]` being `error`).
 */
export interface EventResult {
  readonly index: number;
  readonly eventId: string | null;
  readonly status: 'accepted' | 'rejected';
  readonly error?: FieldError;
  readonly errors?: readonly FieldError[];
  /** `/v1/paths` only: the document's position in the request. */
  readonly document?: number;
  /** `/v1/paths` only: the element's position in its document's `el`, as posted. */
  readonly element?: number;
}

/** The response body of `POST /v1/events` and `POST /v1/paths` once the body has been read. */
export interface IngestResponse {
  readonly accepted: number;
  readonly rejected: number;
  readonly results: readonly EventResult[];
}

// ---------------------------------------------------------------------------------------------
// The same contract as a runtime check, for clients that read the answer (the producer). The
// assertions below make the type check fail when the schema and the types above drift apart.

const fieldErrorSchema = z.object({ field: z.string(), reason: z.string(), retryable: z.boolean() });

const eventResultSchema = z.object({
  index: z.number().int().nonnegative(),
  eventId: z.string().nullable(),
  status: z.enum(['accepted', 'rejected']),
  error: fieldErrorSchema.optional(),
  errors: z.array(fieldErrorSchema).readonly().optional(),
  document: z.number().int().nonnegative().optional(),
  element: z.number().int().nonnegative().optional(),
});

/** Checks a `POST /v1/events` or `POST /v1/paths` answer body against {@link IngestResponse}. */
export const ingestResponseSchema = z.object({
  accepted: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  results: z.array(eventResultSchema).readonly(),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesTypes: Same<z.output<typeof ingestResponseSchema>, IngestResponse> = true;
void schemaMatchesTypes;
