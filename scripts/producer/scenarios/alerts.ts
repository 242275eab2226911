import type { EventInput } from '../../../lambdas/shared/event';
import type { Audience } from '../history';
import type { Rng } from '../rng';
import { isoUtc } from '../time';
import { audienceOf, newEventId, pickUser, type Scenario, type ScenarioContext, type ScenarioGenerator } from './types';

/** The alerts scenario's actions (document service). */
export const ALERT_ACTIONS = ['viewDoc', 'editDoc', 'shareDoc', 'downloadDoc', 'login', 'search'] as const;
/** The alerts scenario's error markers, matched case-sensitively exactly as written. */
export const ERROR_MARKERS = ['[error]', '[ERROR]', '[panic]', '[PANIC]'] as const;
/** Marker of a warning. */
export const WARN_MARKER = '[warn]';
/** The alerts scenario's threshold: an action with at least this many warnings in one minute alerts. */
export const WARN_THRESHOLD = 10;

/** Share of non-warning events that carry an error marker. */
const ERROR_SHARE = 0.02;
/** Actions per minute whose warnings reach the threshold, and actions that stay below it. */
const HOT_ACTIONS = 2;
const COOL_ACTIONS = 2;
/** Warnings of a minute are emitted within its first 20 s. */
const BURST_MS = 20_000;
const BIZ_IDS = ['100', '200', '300'] as const;
const USERS = 500;
const DOCS = 2000;

const ERROR_TEXTS = [
  'failed to load document from storage: timeout after 3000 ms',
  'nil pointer dereference in renderer',
  'database connection refused',
  'permission check failed unexpectedly',
  'index out of range [3] with length 3',
] as const;
const WARN_TEXTS = ['slow response from storage', 'retrying upstream call', 'cache miss storm', 'request queue above 80%'] as const;

/** Fisher–Yates shuffle with the given PRNG (returns a new array). */
function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

class AlertsGenerator implements ScenarioGenerator {
  private readonly rng: Rng;
  private readonly rate: number;
  private readonly audience: Audience;
  private readonly users: readonly string[];
  private minuteStart = Number.NaN;
  /** Warnings still to emit in the current UTC minute, per action. */
  private readonly pending = new Map<string, number>();

  constructor(ctx: ScenarioContext) {
    this.rng = ctx.rng;
    this.rate = ctx.rate;
    this.audience = audienceOf(ctx);
    this.users = Array.from({ length: USERS }, () => String(this.rng.int(1_000_000, 9_999_999)));
  }

  next(nowMs: number): EventInput {
    const ms = Math.floor(nowMs);
    const minuteStart = Math.floor(ms / 60_000) * 60_000;
    if (minuteStart !== this.minuteStart) this.planMinute(minuteStart);

    // Warnings come in a burst: spread over the first BURST_MS of the minute (all at once when
    // the run starts later in the minute), so even a short run sees windows at and below the threshold.
    const pendingTotal = [...this.pending.values()].reduce((a, b) => a + b, 0);
    const expectedLeft = Math.max(1, (this.rate * (minuteStart + BURST_MS - ms)) / 1000);
    if (pendingTotal > 0 && this.rng.chance(Math.min(1, (1.5 * pendingTotal) / expectedLeft))) {
      const actions = [...this.pending.keys()];
      const action = actions[this.rng.weightedIndex(actions.map((a) => this.pending.get(a) ?? 0))] as string;
      this.pending.set(action, (this.pending.get(action) ?? 0) - 1);
      const text = `${WARN_MARKER} ${this.rng.pick(WARN_TEXTS)} (${this.rng.int(200, 5000)} ms)`;
      return this.event(action, ms, text);
    }
    const action = this.rng.pick(ALERT_ACTIONS);
    if (this.rng.chance(ERROR_SHARE)) {
      return this.event(action, ms, `${this.rng.pick(ERROR_MARKERS)} ${this.rng.pick(ERROR_TEXTS)}`);
    }
    return this.event(action, ms, undefined);
  }

  /** New minute: some actions get a warning burst at or above the threshold, some below it. */
  private planMinute(minuteStart: number): void {
    this.minuteStart = minuteStart;
    this.pending.clear();
    const order = shuffled(this.rng, ALERT_ACTIONS);
    order.slice(0, HOT_ACTIONS).forEach((a) => this.pending.set(a, WARN_THRESHOLD + this.rng.int(0, 8)));
    order.slice(HOT_ACTIONS, HOT_ACTIONS + COOL_ACTIONS).forEach((a) => this.pending.set(a, this.rng.int(2, WARN_THRESHOLD - 2)));
  }

  private event(action: string, ms: number, errorMsg: string | undefined): EventInput {
    return {
      eventId: newEventId(this.rng, 'al'),
      action,
      userId: pickUser(this.audience, this.users, ms),
      createdAt: isoUtc(ms),
      objectId: `doc-${this.rng.int(1, DOCS)}`,
      bizId: this.rng.pick(BIZ_IDS),
      ...(errorMsg === undefined ? {} : { errorMsg }),
    };
  }
}

/** The alerts scenario's events with error markers and per-minute warning bursts per action. */
export const alertsScenario: Scenario = {
  name: 'alerts',
  description: 'alerts scenario: [error]/[panic] markers and per-minute [warn] bursts, some actions >= 10 per minute',
  dimensions: ['bizId'],
  create: (ctx) => new AlertsGenerator(ctx),
};
