/**
 * History (`--days N`): a run's events spread over N days of event time, and a cohort model of
 * which users act on each day, so that day-, week- and month-level reports (distinct users,
 * retention) have something to show. docs/producer.md states the model.
 *
 * - **Timeline.** The history starts at local midnight (in the run's time zone) N − 1 days before
 *   the end's day and ends at `endMs` (the moment the run starts): event `i` of `count` is at
 *   `start + floor((i + 0.5) × (end − start) / count)`, so event times increase with `i`, every
 *   event is in the past, and today (a partial day) gets its share of the elapsed time.
 * - **Cohorts.** A scenario's pool of users is split, in pool order, into N cohorts of equal size
 *   (±1): cohort d is new on day d. On day d, every user of cohort d is active, and a user of an
 *   earlier cohort c returns with probability {@link returnProbability}(d − c), drawn
 *   independently per user and day. Each event of day d is made by an active user, uniformly.
 */
import { DateTime } from 'luxon';
import type { Rng } from './rng';

/** Most days a run may spread over (a year and a bit: enough for monthly reports). */
export const MAX_HISTORY_DAYS = 400;

/** Chance that a user returns on the first day after their cohort day. */
export const RETURN_FIRST_DAY = 0.5;
/** Each further day multiplies the decaying part of that chance by this factor. */
export const RETURN_DECAY = 0.85;
/** A chance of returning that never decays (loyal users). */
export const RETURN_FLOOR = 0.05;

/** Probability that a user returns `daysSince` (≥ 1) days after their cohort day: 0.05 + 0.5 × 0.85^(daysSince − 1). */
export function returnProbability(daysSince: number): number {
  return RETURN_FLOOR + RETURN_FIRST_DAY * RETURN_DECAY ** (daysSince - 1);
}

/** Chooses which user of a scenario's pool makes an event at a given time. */
export interface Audience {
  /** Index (0 ≤ i < size) of the user of a pool of `size` users acting at `ms`. */
  pick(size: number, ms: number): number;
}

/** Every user equally likely at any time, drawn from `rng` (the behaviour without `--days`). */
export function uniformAudience(rng: Rng): Audience {
  return { pick: (size) => Math.floor(rng.next() * size) };
}

/** The days of a history: their local-midnight starts, and the time of each event. */
export interface Timeline {
  /** Epoch ms of local midnight of each day, oldest first. */
  readonly dayStarts: readonly number[];
  readonly startMs: number;
  readonly endMs: number;
  /** Event time of event `index` of `count`. */
  timeOf(index: number): number;
}

/** The timeline of `days` days ending at `endMs` (today in `timeZone`), holding `count` events. Throws RangeError on bad sizes. */
export function historyTimeline(days: number, endMs: number, timeZone: string, count: number): Timeline {
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_HISTORY_DAYS)
    throw new RangeError(`days must be an integer from 1 to ${MAX_HISTORY_DAYS}`);
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError('count must be a positive integer');
  const today = DateTime.fromMillis(endMs, { zone: timeZone }).startOf('day');
  const dayStarts = Array.from({ length: days }, (_, i) => today.minus({ days: days - 1 - i }).toMillis());
  const startMs = dayStarts[0] as number;
  const span = endMs - startMs;
  return {
    dayStarts,
    startMs,
    endMs,
    timeOf: (index) => startMs + Math.floor(((index + 0.5) * span) / count),
  };
}

/** Index of the day holding `ms` (clamped to the history). */
function dayIndex(dayStarts: readonly number[], ms: number): number {
  let lo = 0;
  let hi = dayStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((dayStarts[mid] as number) <= ms) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The cohort model over the days of `timeline`, drawing from `rng` (see the module comment). */
export function cohortAudience(rng: Rng, timeline: Pick<Timeline, 'dayStarts'>): Audience {
  const days = timeline.dayStarts.length;
  let poolSize: number | undefined;
  /** Active users of each day computed so far (days are computed in order, so the draws do not depend on the call order). */
  const active: number[][] = [];
  const cohortOf = (user: number, size: number): number => Math.floor((user * days) / size);

  const activeOn = (day: number, size: number): readonly number[] => {
    while (active.length <= day) {
      const d = active.length;
      const users: number[] = [];
      for (let user = 0; user < size; user++) {
        const cohort = cohortOf(user, size);
        if (cohort === d || (cohort < d && rng.chance(returnProbability(d - cohort)))) users.push(user);
      }
      active.push(users);
    }
    return active[day] as number[];
  };

  return {
    pick(size, ms) {
      if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('pool size must be a positive integer');
      poolSize ??= size;
      if (size !== poolSize) throw new RangeError(`one pool per audience: got ${size} users after ${poolSize}`);
      const day = dayIndex(timeline.dayStarts, ms);
      const users = activeOn(day, size);
      if (users.length > 0) return users[Math.floor(rng.next() * users.length)] as number;
      // A pool smaller than the number of days leaves days without a cohort and maybe nobody returning: anyone already seen.
      const known = Math.max(1, Math.ceil(((day + 1) * size) / days));
      return Math.floor(rng.next() * Math.min(size, known));
    },
  };
}
