import type { EventInput } from '../../../lambdas/shared/event';
import { uniformAudience, type Audience } from '../history';
import type { Rng } from '../rng';

/** What every scenario generator is given: its own seeded PRNG and the run's settings. */
export interface ScenarioContext {
  /** The scenario's private random stream; the only source of randomness it may use. */
  readonly rng: Rng;
  /** IANA zone for local-time fields (the recharge scenario's 17-digit times, the Taobao scenario's month/day). */
  readonly timeZone: string;
  /** Target events per second; lets a scenario spread per-minute quotas (alerts) and size pools. */
  readonly rate: number;
  /** Which user of the scenario's pool acts at a given time; default: any, uniformly, from `rng` (`--days` passes the cohort model). */
  readonly audience?: Audience;
  /**
   * Whether page views carry their `step` in the session and the previous page (`prevPath`), as
   * analytics SDKs send them; false sends page views without them (server-side events), which the
   * consumers sessionize. @default true
   */
  readonly steps?: boolean;
}

/** A stateful stream of v1 events; `next` is called once per event with that event's clock time. */
export interface ScenarioGenerator {
  next(nowMs: number): EventInput;
}

/** A named, pure event generator (no I/O, no wall clock, no global randomness). */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** `props` keys the ground truth counts values of (`byDimension`). */
  readonly dimensions: readonly string[];
  create(ctx: ScenarioContext): ScenarioGenerator;
}

/** A producer-made unique event id: `<prefix>-<24 hex>` from the scenario's PRNG. */
export function newEventId(rng: Rng, prefix: string): string {
  return `${prefix}-${rng.hex(24)}`;
}

/** The context's audience, or the uniform one over its PRNG. */
export function audienceOf(ctx: ScenarioContext): Audience {
  return ctx.audience ?? uniformAudience(ctx.rng);
}

/** The user of `pool` acting at `ms`, chosen by `audience`. */
export function pickUser<T>(audience: Audience, pool: readonly T[], ms: number): T {
  return pool[audience.pick(pool.length, ms)] as T;
}
