import type { EventInput } from '../../../lambdas/shared/event';
import type { Audience } from '../history';
import type { Rng } from '../rng';
import { formatCompact, isoUtc } from '../time';
import { PROVINCES } from './china';
import { audienceOf, newEventId, pickUser, type Scenario, type ScenarioContext, type ScenarioGenerator } from './types';

/**
 * The recharge scenario's five steps: order created → payment request → payment notification → recharge
 * request → recharge notification. Only the last name comes from the recharge system; the others are ours.
 */
export const RECHARGE_STEPS = ['makeNewOrder', 'sendPayReq', 'payNotifyReq', 'sendRechargeReq', 'reChargeNotifyReq'] as const;
export const RECHARGE_NOTIFY = 'reChargeNotifyReq';
/** The recharge scenario's success code of `bussinessRst`. */
export const RECHARGE_SUCCESS = '0000';
/** Synthetic failure codes (the recharge system only says "not 0000"). */
export const RECHARGE_FAILURE_CODES = ['1001', '2003', '3004', '9999'] as const;
/** Random digits after the 17-digit timestamp in `requestId`. */
export const REQUEST_ID_RANDOM_DIGITS = 15;

/** Share of flows whose payment fails (the flow stops after `payNotifyReq`). */
const PAYMENT_FAILURE = 0.03;
/** Share of paid flows whose recharge notification reports a failure. */
const RECHARGE_FAILURE = 0.1;
/** Recharge amounts in yuan and how common each is. */
const FEES = [
  { fee: 10, weight: 10 },
  { fee: 20, weight: 15 },
  { fee: 30, weight: 20 },
  { fee: 50, weight: 30 },
  { fee: 100, weight: 20 },
  { fee: 200, weight: 4 },
  { fee: 500, weight: 1 },
] as const;
const CHANNELS = ['wechat', 'alipay', 'unionpay', 'app'] as const;
/** Offsets of the middle steps as fractions of the flow's duration. */
const STEP_FRACTIONS = [0, 0.1, 0.4, 0.6, 1] as const;
const SUBSCRIBERS = 3000;
const MIN_DURATION_MS = 300;
const MAX_DURATION_MS = 120_000;

interface Subscriber {
  readonly userId: string;
  readonly provinceCode: string;
}

class RechargeGenerator implements ScenarioGenerator {
  private readonly rng: Rng;
  private readonly audience: Audience;
  private readonly timeZone: string;
  private readonly subscribers: readonly Subscriber[];
  private readonly queue: EventInput[] = [];

  constructor(ctx: ScenarioContext) {
    this.rng = ctx.rng;
    this.audience = audienceOf(ctx);
    this.timeZone = ctx.timeZone;
    this.subscribers = Array.from({ length: SUBSCRIBERS }, () => ({
      userId: `cm-${this.rng.hex(12)}`,
      provinceCode: this.rng.weighted(PROVINCES).mobileCode,
    }));
  }

  next(nowMs: number): EventInput {
    if (this.queue.length === 0) this.queue.push(...this.flow(Math.floor(nowMs)));
    return this.queue.shift() as EventInput;
  }

  /** One whole flow, ending now: requestId carries the start time, receiveNotifyTime the end. */
  private flow(endMs: number): EventInput[] {
    const rng = this.rng;
    const subscriber = pickUser(this.audience, this.subscribers, endMs);
    const durationMs = Math.min(MAX_DURATION_MS, MIN_DURATION_MS + Math.round(rng.exponential(4000)));
    const startMs = endMs - durationMs;
    const requestId = `${formatCompact(startMs, this.timeZone)}${rng.digits(REQUEST_ID_RANDOM_DIGITS)}`;
    const orderId = `${rng.digits(18)}`;
    const chargefee = rng.weighted(FEES).fee;
    const channelCode = rng.pick(CHANNELS);
    const paymentFails = rng.chance(PAYMENT_FAILURE);
    const rechargeFails = !paymentFails && rng.chance(RECHARGE_FAILURE);
    const lastStep = paymentFails ? 2 : RECHARGE_STEPS.length - 1;

    const events: EventInput[] = [];
    for (let step = 0; step <= lastStep; step++) {
      const ms = step === RECHARGE_STEPS.length - 1 ? endMs : startMs + Math.floor(durationMs * (STEP_FRACTIONS[step] as number));
      const failed = (paymentFails && step === 2) || (rechargeFails && step === RECHARGE_STEPS.length - 1);
      const serviceName = RECHARGE_STEPS[step] as string;
      events.push({
        eventId: newEventId(rng, 'rc'),
        action: serviceName,
        userId: subscriber.userId,
        createdAt: isoUtc(ms),
        objectId: orderId,
        props: {
          requestId,
          orderId,
          provinceCode: subscriber.provinceCode,
          channelCode,
          chargefee,
          shouldfee: chargefee,
          bussinessRst: failed ? rng.pick(RECHARGE_FAILURE_CODES) : RECHARGE_SUCCESS,
          ...(serviceName === RECHARGE_NOTIFY ? { receiveNotifyTime: formatCompact(endMs, this.timeZone) } : {}),
        },
      });
    }
    return events;
  }
}

/** The recharge scenario's telecom recharge flow; each flow's events are emitted back to back. */
export const rechargeScenario: Scenario = {
  name: 'recharge',
  description: 'telecom recharge flows: five steps ending in reChargeNotifyReq, with failures (recharge scenario)',
  dimensions: ['provinceCode', 'bussinessRst', 'channelCode'],
  create: (ctx) => new RechargeGenerator(ctx),
};
