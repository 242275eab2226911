import type { EventInput } from '../../lambdas/shared/event';
import { cohortAudience, historyTimeline } from './history';
import { createInvalidInjector, type InvalidKind } from './invalid';
import { deriveSeed, Rng } from './rng';
import type { Scenario } from './scenarios';
import type { EventSource, OutgoingEvent } from './sender';

/** An event made by a scenario, as sent (`body`), with the valid event it came from. */
export interface ProducedEvent extends OutgoingEvent {
  /** The scenario's (valid) event; `body` differs from it only when `invalid` is set. */
  readonly input: EventInput;
  readonly invalid?: InvalidKind;
}

export interface StreamOptions {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly rate: number;
  readonly timeZone: string;
  readonly invalidRatio: number;
  /** Pinned clock: event `i` is at `startTimeMs + floor(i * 1000 / rate)`; else the clock passed to `next`. */
  readonly startTimeMs?: number;
  /** Stop after this many events. */
  readonly count?: number;
  /** Stop once `next` is called this long after `wallStartMs`. */
  readonly durationMs?: number;
  readonly wallStartMs?: number;
  /**
   * Spread the run over `days` days of event time ending at `endMs` (history.ts): event `i`'s
   * time comes from the timeline, not the clock, and users follow the cohort model. Needs `count`.
   */
  readonly history?: { readonly days: number; readonly endMs: number };
  /** Page views carry `step` and `prevPath` (the scenario context's `steps`). @default true */
  readonly steps?: boolean;
}

/** PRNG sub-streams: the scenario's choices do not depend on how many events are broken. */
const SCENARIO_STREAM = 1;
const INVALID_STREAM = 2;
const AUDIENCE_STREAM = 3;

/** A seeded, bounded stream of produced events, usable as the sender's source. Throws RangeError on a history without a count. */
export function createEventStream(options: StreamOptions): EventSource<ProducedEvent> {
  const { history } = options;
  if (history !== undefined && options.count === undefined) throw new RangeError('a history (days) needs a count of events');
  const timeline = history === undefined ? undefined : historyTimeline(history.days, history.endMs, options.timeZone, options.count ?? 1);
  const generator = options.scenario.create({
    rng: new Rng(deriveSeed(options.seed, SCENARIO_STREAM)),
    timeZone: options.timeZone,
    rate: options.rate,
    ...(options.steps === undefined ? {} : { steps: options.steps }),
    ...(timeline === undefined ? {} : { audience: cohortAudience(new Rng(deriveSeed(options.seed, AUDIENCE_STREAM)), timeline) }),
  });
  const inject = createInvalidInjector(new Rng(deriveSeed(options.seed, INVALID_STREAM)), options.invalidRatio);
  let seq = 0;
  return {
    next(nowMs) {
      if (options.count !== undefined && seq >= options.count) return undefined;
      if (options.durationMs !== undefined && nowMs - (options.wallStartMs ?? 0) >= options.durationMs) return undefined;
      const at =
        timeline !== undefined
          ? timeline.timeOf(seq)
          : options.startTimeMs === undefined
            ? nowMs
            : options.startTimeMs + Math.floor((seq * 1000) / options.rate);
      const input = generator.next(at);
      const { wire, invalid } = inject(input);
      const event: ProducedEvent = invalid === undefined ? { seq, body: wire, input } : { seq, body: wire, input, invalid };
      seq += 1;
      return event;
    },
  };
}
