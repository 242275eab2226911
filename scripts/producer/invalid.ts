import { EVENT_LIMITS, type EventInput } from '../../lambdas/shared/event';
import type { Rng } from './rng';

/** An event as it goes on the wire: a v1 event, or a deliberately broken one. */
export type WireEvent = Readonly<Record<string, unknown>>;

/** The known ways `--invalid-ratio` breaks an event, and the field the API should name. */
export const INVALID_KINDS = {
  'missing-userId': 'userId',
  'action-too-long': 'action',
  'bad-createdAt': 'createdAt',
  'unknown-field': 'user_name',
} as const;
export type InvalidKind = keyof typeof INVALID_KINDS;
export const INVALID_KIND_NAMES = Object.keys(INVALID_KINDS) as InvalidKind[];

/** A value that is not an ISO 8601 time by any reading. */
export const BAD_CREATED_AT = 'not-a-timestamp';

/** Returns a copy of `event` broken in the given way (eventId is always kept, for matching results). */
export function breakEvent(event: EventInput, kind: InvalidKind): WireEvent {
  switch (kind) {
    case 'missing-userId': {
      const copy: Record<string, unknown> = { ...event };
      delete copy.userId;
      return copy;
    }
    case 'action-too-long':
      return { ...event, action: `${event.action}-${'x'.repeat(EVENT_LIMITS.actionLength)}` };
    case 'bad-createdAt':
      return { ...event, createdAt: BAD_CREATED_AT };
    case 'unknown-field':
      // A snake_case field name as in the Taobao scenario's rows: strict schemas must reject it.
      return { ...event, user_name: event.userId };
  }
}

/** What the injector decided for one event. */
export interface Injected {
  readonly wire: WireEvent;
  /** Set when the event was broken on purpose. */
  readonly invalid?: InvalidKind;
}

/** Breaks a `ratio` share of events, cycling through the kinds; uses its own PRNG stream. */
export function createInvalidInjector(rng: Rng, ratio: number): (event: EventInput) => Injected {
  let next = 0;
  return (event) => {
    if (ratio <= 0 || !rng.chance(ratio)) return { wire: event };
    const kind = INVALID_KIND_NAMES[next % INVALID_KIND_NAMES.length] as InvalidKind;
    next += 1;
    return { wire: breakEvent(event, kind), invalid: kind };
  };
}
