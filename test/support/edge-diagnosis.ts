/**
 * Why the real-time Sankey edges read through the API differ from the expected ones: compares the
 * lake (every record the stream had, delivered by Firehose from the same stream) with the events
 * the producers saw accepted. Pure, so the end-to-end tests can print it and unit tests can pin it.
 */
import { eventInputSchema, type EventInput } from '../../lambdas/shared/event';
import { computeTruth, type AcceptedEvent } from '../../scripts/producer/truth';

/** One edge whose weight differs, with what the lake's events give for it. */
export interface EdgeDifference {
  readonly edge: string;
  readonly api: number;
  readonly expected: number;
  /** The edge recomputed from the lake's events (each eventId once) with the truth's own sessionizer. */
  readonly lake: number;
}

export interface EdgeDiagnosis {
  readonly differing: readonly EdgeDifference[];
  /** eventIds the stream holds more than once (an event accepted twice). */
  readonly duplicates: readonly { readonly eventId: string; readonly times: number }[];
  /** eventIds in the stream that no producer saw accepted (given up on, yet accepted). */
  readonly notAccepted: readonly string[];
  /** eventIds the producers saw accepted that the stream does not hold. */
  readonly missing: readonly string[];
  /**
   * Page views in the stream that carry a `step` above 1 whose session has no page view at the
   * step before in the stream: the real-time Sankey counts their own edge (`prevPath` → `path`),
   * which a truth built from the session's accepted page views cannot have.
   */
  readonly stepsWithoutPrevious: readonly { readonly eventId: string; readonly edge: string }[];
  /** Lake lines that are not a readable event. */
  readonly unreadable: number;
  /** One line: which of the causes the evidence points to. */
  readonly verdict: string;
}

/** Most ids listed per kind in {@link formatEdgeDiagnosis}. */
const LISTED = 10;

/** A lake line (the stream's event: the producer's event plus `receivedAt`) as the event the producer sent, or undefined. */
function eventOfLine(line: Readonly<Record<string, unknown>>): EventInput | undefined {
  const { receivedAt: _receivedAt, ...sent } = line;
  const parsed = eventInputSchema.safeParse(sent);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Compares the API's edges with the expected ones and explains a difference from the lake.
 * `accepted`: every event the producers saw accepted, by eventId, with its send order (ties of
 * event time within a session are broken by it, as the truth does); `lake`: every line of the
 * lake's objects. `timeZone`: the truth's zone for times without an offset. Never throws.
 */
export function diagnoseEdges(input: {
  readonly api: Readonly<Record<string, number>>;
  readonly expected: Readonly<Record<string, number>>;
  readonly accepted: ReadonlyMap<string, AcceptedEvent>;
  readonly lake: readonly Readonly<Record<string, unknown>>[];
  readonly timeZone: string;
}): EdgeDiagnosis {
  const times = new Map<string, number>();
  const events: AcceptedEvent[] = [];
  let unreadable = 0;
  for (const line of input.lake) {
    const event = eventOfLine(line);
    if (event === undefined) {
      unreadable += 1;
      continue;
    }
    const n = (times.get(event.eventId) ?? 0) + 1;
    times.set(event.eventId, n);
    if (n === 1) events.push({ event, seq: input.accepted.get(event.eventId)?.seq ?? Number.MAX_SAFE_INTEGER });
  }
  const stepsOf = new Map<string, Set<number>>();
  for (const { event } of events) {
    if (event.path === undefined || event.step === undefined || event.sessionId === undefined) continue;
    const steps = stepsOf.get(event.sessionId) ?? new Set<number>();
    steps.add(event.step);
    stepsOf.set(event.sessionId, steps);
  }
  const stepsWithoutPrevious = events
    .map(({ event }) => event)
    .filter((e) => e.step !== undefined && e.step > 1 && e.sessionId !== undefined && !stepsOf.get(e.sessionId)?.has(e.step - 1))
    .map((e) => ({ eventId: e.eventId, edge: `${e.prevPath ?? ''} (${(e.step ?? 0) - 1}) -> ${e.path ?? ''} (${e.step ?? 0})` }));
  const lakeEdges = computeTruth(events, { timeZone: input.timeZone }).paths?.edges ?? {};
  const differing: EdgeDifference[] = [];
  for (const edge of [...new Set([...Object.keys(input.api), ...Object.keys(input.expected)])].sort()) {
    const api = input.api[edge] ?? 0;
    const expected = input.expected[edge] ?? 0;
    if (api !== expected) differing.push({ edge, api, expected, lake: lakeEdges[edge] ?? 0 });
  }
  const duplicates = [...times]
    .filter(([, n]) => n > 1)
    .map(([eventId, n]) => ({ eventId, times: n }))
    .sort((a, b) => a.eventId.localeCompare(b.eventId));
  const notAccepted = [...times.keys()].filter((id) => !input.accepted.has(id)).sort();
  const missing = [...input.accepted.keys()].filter((id) => !times.has(id)).sort();

  let verdict: string;
  if (differing.length === 0) verdict = 'the edges match';
  else if (notAccepted.length > 0 || duplicates.length > 0)
    verdict = 'the stream holds events the truth does not (accepted after the producer gave up on them, or accepted twice)';
  else if (missing.length > 0) verdict = 'the stream lacks events the producers saw accepted';
  else if (differing.every((d) => d.lake === d.expected))
    verdict = `the stream holds exactly the accepted events and the truth recomputed from them gives the expected edges: the consumer counted differently${
      stepsWithoutPrevious.length > 0
        ? ` (or the truth does not count the own edge of the ${stepsWithoutPrevious.length} page views whose previous step is not in the stream)`
        : ''
    }`;
  else verdict = 'the stream holds exactly the accepted events, but the truth computed from them differs from the expected edges';
  return { differing, duplicates, notAccepted, missing, stepsWithoutPrevious, unreadable, verdict };
}

/** {@link diagnoseEdges}' answer as a few lines for a failing test's message. Never throws. */
export function formatEdgeDiagnosis(d: EdgeDiagnosis): string {
  const list = (ids: readonly string[]): string =>
    ids.length === 0 ? 'none' : `${ids.length} (${ids.slice(0, LISTED).join(', ')}${ids.length > LISTED ? ', …' : ''})`;
  return [
    `edges differ: ${d.verdict}`,
    ...d.differing.map((e) => `  ${e.edge}: API ${e.api}, expected ${e.expected}, recomputed from the lake ${e.lake}`),
    `stream events accepted twice: ${list(d.duplicates.map((x) => `${x.eventId} ×${x.times}`))}`,
    `stream events no producer saw accepted: ${list(d.notAccepted)}`,
    `accepted events missing from the stream: ${list(d.missing)}`,
    `page views whose previous step is not in the stream: ${list(d.stepsWithoutPrevious.map((x) => `${x.eventId} ${x.edge}`))}`,
    ...(d.unreadable > 0 ? [`unreadable lake lines: ${d.unreadable}`] : []),
  ].join('\n');
}
