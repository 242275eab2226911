import { createHash, createHmac } from 'crypto';
import { z } from 'zod';
import { EVENT_LIMITS, type EventInput } from '../shared/event';
import { BODY_FIELD } from '../shared/http';
import type { FieldIssue } from '../shared/issues';
import { normalizeCreatedAt } from './normalize';
import { invalid, type FieldError } from '../shared/ingest-api';
import { formatFieldPath, isPlainObject, toFieldErrors } from './validate';

/** The action of the events a path document expands into. */
export const PAGE_VIEW = 'page_view';

/** Hex characters of the digest kept in derived ids. */
const ID_HEX_LENGTH = 32;

const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/**
 * A path-analysis path document: a visitor (`uvi`) and the pages it saw (`el`, each with `path` and
 * event time `ct`), e.g. `{"uvi":"user493","el":[{"path":"/blog","ct":"2024-05-27T11:40:36.263222"}]}`.
 * Unknown keys are refused, as for events.
 */
const pathDocumentSchema = z
  .object({
    uvi: text(EVENT_LIMITS.idLength),
    el: z
      .array(z.object({ path: text(EVENT_LIMITS.pathLength), ct: text(64) }).strict())
      .min(1, 'must contain at least 1 element')
      .max(EVENT_LIMITS.maxStep, `must contain at most ${EVENT_LIMITS.maxStep} elements (a step is at most ${EVENT_LIMITS.maxStep})`),
  })
  .strict();

/** One path element after expansion: its `page_view` event (with `createdAt` as written), or why its document was refused. */
export interface ExpandedElement {
  readonly document: number;
  readonly element?: number;
  readonly eventId: string | null;
  /** Present when the document is valid; `createdAt` is the element's `ct` as posted. */
  readonly event?: EventInput;
  /** Present when the document is invalid: every element carries the document's errors. */
  readonly errors?: readonly FieldError[];
}

/** Options of path expansion. */
export interface ExpandOptions {
  /** Zone in which `ct` values without an offset are read (only to validate them here). */
  readonly timeZone: string;
  /**
   * When set (pseudonymization on), ids are HMAC-SHA256 under this key instead of plain SHA-256,
   * so `sessionId`/`eventId` cannot be traced back to `uvi` by hashing guessed visitor ids.
   */
  readonly idKey?: Uint8Array;
  /** The time of receipt that bounds `ct` (at most 1 day after it). @default the current time */
  readonly now?: Date;
}

/** First 32 hex characters of the (keyed) SHA-256 of `parts` as JSON, so no two part lists collide. */
function digest(parts: readonly (string | number)[], idKey: Uint8Array | undefined): string {
  const hash = idKey === undefined ? createHash('sha256') : createHmac('sha256', idKey);
  return hash.update(JSON.stringify(parts), 'utf8').digest('hex').slice(0, ID_HEX_LENGTH);
}

/** `s_` + digest of (uvi, first `ct` as posted): one session per document, the same on every post. Never fails. */
export const pathSessionId = (uvi: string, firstCt: string, idKey?: Uint8Array): string => `s_${digest(['session', uvi, firstCt], idKey)}`;

/** `pv_` + digest of (uvi, first `ct` as posted, element index as posted): the same on every post. Never fails. */
export const pathEventId = (uvi: string, firstCt: string, element: number, idKey?: Uint8Array): string =>
  `pv_${digest(['event', uvi, firstCt, element], idKey)}`;

/** Number of results a document yields: one per element of a non-empty `el` array, else one. Never fails. */
export const documentSize = (document: unknown): number =>
  isPlainObject(document) && Array.isArray(document.el) && document.el.length > 0 ? document.el.length : 1;

/**
 * Expands one path document into `page_view` events, one per element in the order posted:
 * `{eventId, action, userId: uvi, sessionId, path, createdAt: ct, step, prevPath}`, where `step` is
 * the element's position in the document ordered by `ct` (ties in posted order) and `prevPath` the
 * page of the step before (absent at step 1), so the consumers count its Sankey edge without
 * session state.
 * `uvi` and the first element's `ct` as written identify the document, so posting it again yields
 * the same ids. An invalid document (a field path such as `el[3].ct` and a reason) is refused whole:
 * every element gets its errors. Never throws.
 */
export function expandPathDocument(document: unknown, position: number, options: ExpandOptions): ExpandedElement[] {
  const parsed = pathDocumentSchema.safeParse(document);
  const errors = parsed.success ? [] : toFieldErrors(parsed.error.issues, document);

  const times: number[] = [];
  if (parsed.success) {
    parsed.data.el.forEach(({ ct }, element) => {
      const time = normalizeCreatedAt(ct, options.timeZone, options.now);
      if (!time.ok) errors.push(invalid(formatFieldPath(['el', element, 'ct']), time.reason));
      else times.push(Date.parse(time.value));
    });
  }

  const identity = documentIdentity(document);
  const idOf = (element: number) => (identity === undefined ? null : pathEventId(identity.uvi, identity.firstCt, element, options.idKey));

  if (!parsed.success || errors.length > 0) {
    if (!isPlainObject(document) || !Array.isArray(document.el) || document.el.length === 0) {
      return [{ document: position, eventId: null, errors }];
    }
    return document.el.map((_, element) => ({ document: position, element, eventId: idOf(element), errors }));
  }

  const { uvi, el } = parsed.data;
  const firstCt = el[0]?.ct ?? '';
  const sessionId = pathSessionId(uvi, firstCt, options.idKey);
  const steps = stepsOf(el, times);
  return el.map(({ path, ct }, element) => {
    const eventId = pathEventId(uvi, firstCt, element, options.idKey);
    const { step, prevPath } = steps[element] as Step;
    return {
      document: position,
      element,
      eventId,
      event: {
        eventId,
        action: PAGE_VIEW,
        userId: uvi,
        sessionId,
        path,
        createdAt: ct,
        step,
        ...(prevPath === undefined ? {} : { prevPath }),
      },
    };
  });
}

/** The step of a page view in its document and the page before it. */
interface Step {
  readonly step: number;
  readonly prevPath: string | undefined;
}

/**
 * The step of each element (by position as posted): elements ordered by event time (`times`, ms,
 * one per element), ties in posted order, as the consumers order a session; `prevPath` is the page
 * of the step before. Never fails.
 */
function stepsOf(el: readonly { readonly path: string }[], times: readonly number[]): Step[] {
  const order = el.map((_, i) => i).sort((a, b) => (times[a] as number) - (times[b] as number) || a - b);
  const steps: Step[] = new Array<Step>(el.length);
  order.forEach((element, rank) => {
    const previous = rank === 0 ? undefined : order[rank - 1];
    steps[element] = { step: rank + 1, prevPath: previous === undefined ? undefined : (el[previous] as { path: string }).path };
  });
  return steps;
}

/** `uvi` and the first `ct` of a document when both are strings (so even a refused document's results carry ids). */
function documentIdentity(document: unknown): { readonly uvi: string; readonly firstCt: string } | undefined {
  if (!isPlainObject(document) || typeof document.uvi !== 'string' || !Array.isArray(document.el)) return undefined;
  const first: unknown = document.el[0];
  if (!isPlainObject(first) || typeof first.ct !== 'string') return undefined;
  return { uvi: document.uvi, firstCt: first.ct };
}

/**
 * Reads the documents of a `POST /v1/paths` body: `{"documents":[…]}` (1 or more) or one document
 * (an object without a `documents` key), at most `maxEvents` path elements in all. Any other
 * shape, an empty list, other keys next to `documents`, or too many elements is a
 * {@link FieldIssue} (the whole request gets 400).
 */
export function extractPathDocuments(
  body: unknown,
  maxEvents: number,
): { readonly ok: true; readonly documents: readonly unknown[] } | { readonly ok: false; readonly error: FieldIssue } {
  if (!isPlainObject(body)) {
    return { ok: false, error: { field: BODY_FIELD, reason: 'must be a JSON object: {"documents":[…]} or a single path document' } };
  }
  let documents: readonly unknown[] = [body];
  let field = 'el';
  if (Object.prototype.hasOwnProperty.call(body, 'documents')) {
    const extra = Object.keys(body).find((key) => key !== 'documents');
    if (extra !== undefined) return { ok: false, error: { field: formatFieldPath([extra]), reason: 'unknown field next to documents' } };
    if (!Array.isArray(body.documents)) return { ok: false, error: { field: 'documents', reason: 'must be an array of path documents' } };
    if (body.documents.length === 0) return { ok: false, error: { field: 'documents', reason: 'must contain at least 1 document' } };
    documents = body.documents;
    field = 'documents';
  }
  const elements = documents.reduce<number>((sum, document) => sum + documentSize(document), 0);
  if (elements > maxEvents) {
    return { ok: false, error: { field, reason: `at most ${maxEvents} path elements per request, got ${elements}` } };
  }
  return { ok: true, documents };
}
