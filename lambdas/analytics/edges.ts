import type { StreamEvent } from '../shared/event';
import { boundText } from '../shared/results-table';
import type { PathsConfig } from './config';
import type { SequencedEvent } from './kpis';
import { MAX_PAGE_BYTES } from './paths';
import { compareSeq } from './records';
import { localDay, parseIsoUtc } from './time';

/**
 * Sankey edges of step-carrying page views: an event that says its position in its session
 * (`step`) and the page before (`prevPath`) names its own edge `"<prevPath> (<step-1>)" →
 * "<path> (<step>)"`, so the edge is a plain counter keyed by (day, step, source, target) and needs
 * no session state. The day is the local day (paths time zone) of the event's own time.
 */

/** Identity of one edge counter. */
export interface EdgeKey {
  /** Local date (paths time zone) of the page view at `step`. */
  readonly day: string;
  /** The target's step (2 and up). */
  readonly step: number;
  /** `"<page> (<step - 1>)"`, the page bounded like every page ({@link MAX_PAGE_BYTES}). */
  readonly source: string;
  /** `"<page> (<step>)"`. */
  readonly target: string;
}

/** What one batch adds to one edge counter. */
export interface EdgeDelta extends EdgeKey {
  readonly count: number;
}

/**
 * True when the event's Sankey edge is counted from its own `step` (a page view with a step that
 * is consistent: step 1 without `prevPath`, later steps with it); such events are not sessionized.
 * Ingest refuses inconsistent ones; a record that still is (written to the stream by other means)
 * is sessionized like a step-less event. Never throws.
 */
export function carriesStep(event: Pick<StreamEvent, 'path' | 'step' | 'prevPath'>): boolean {
  const { path, step, prevPath } = event;
  if (path === undefined || step === undefined) return false;
  return step === 1 ? prevPath === undefined : prevPath !== undefined;
}

/** The identity `day|step|source|target` of an edge counter (lengths make it unambiguous). Never fails. */
export const edgeKeyId = (key: EdgeKey): string => `${key.day}|${key.step}|${key.source.length}|${key.source}|${key.target}`;

/** Options of {@link aggregateEdges}. */
export interface EdgeAggregateOptions {
  /** For a retry: the watermark stored in the counter `keyId` ({@link edgeKeyId}); records at or below it add nothing to it. */
  readonly watermarkOf?: (keyId: string) => string | undefined;
}

/**
 * The edge counts of a batch (records in sequence order): one delta per distinct edge, from the
 * step-carrying page views at step 2 and up ({@link carriesStep}); with `watermarkOf`, only the
 * records above each counter's watermark. Pure; never throws.
 */
export function aggregateEdges(
  records: readonly SequencedEvent[],
  config: Pick<PathsConfig, 'timeZone'>,
  options: EdgeAggregateOptions = {},
): Map<string, EdgeDelta> {
  const out = new Map<string, { -readonly [K in keyof EdgeDelta]: EdgeDelta[K] }>();
  const watermarks = new Map<string, string | undefined>();
  const bounded = new Map<string, string>();
  const page = (p: string): string => {
    let b = bounded.get(p);
    if (b === undefined) {
      b = boundText(p, MAX_PAGE_BYTES);
      bounded.set(p, b);
    }
    return b;
  };
  let lastMinute = Number.NaN;
  let day = '';
  for (const record of records) {
    const { event } = record;
    if (event.step === undefined || event.step < 2 || !carriesStep(event)) continue;
    const t = record.createdMs ?? parseIsoUtc(event.createdAt);
    if (t === undefined) continue;
    const minute = Math.floor(t / 60_000);
    if (minute !== lastMinute) {
      day = localDay(t, config.timeZone);
      lastMinute = minute;
    }
    const key: EdgeKey = {
      day,
      step: event.step,
      source: `${page(event.prevPath as string)} (${event.step - 1})`,
      target: `${page(event.path as string)} (${event.step})`,
    };
    const id = edgeKeyId(key);
    if (options.watermarkOf !== undefined) {
      if (!watermarks.has(id)) watermarks.set(id, options.watermarkOf(id));
      const wm = watermarks.get(id);
      if (wm !== undefined && compareSeq(record.seq, wm) <= 0) continue;
    }
    const delta = out.get(id);
    if (delta === undefined) out.set(id, { ...key, count: 1 });
    else delta.count += 1;
  }
  return out;
}
