import type { EventInput } from '../../../lambdas/shared/event';
import type { Audience } from '../history';
import type { Rng } from '../rng';
import { isoUtc, localMonthDay } from '../time';
import { PROVINCES } from './china';
import { audienceOf, newEventId, pickUser, type Scenario, type ScenarioContext, type ScenarioGenerator } from './types';

/** The Taobao scenario's action codes, in code order: 0 click, 1 cart, 2 buy, 3 favourite. */
export const TAOBAO_ACTIONS = ['click', 'cart', 'buy', 'favourite'] as const;
const ACTION_WEIGHTS = [85, 6, 4, 5] as const;

/** The Taobao scenario's age ranges 0..7 (0 unknown, 1 <20, 2 [20,25) … 7 ≥50), weighted like a shop's buyers. */
const AGE_WEIGHTS = [5, 3, 18, 25, 20, 12, 10, 7] as const;
/** The Taobao scenario's gender codes: 0 female, 1 male, 2 unknown. */
const GENDER_WEIGHTS = [55, 35, 10] as const;

const USERS = 2000;
const ITEMS = 1000;
const CATEGORIES = 60;
const MERCHANTS = 200;
const BRANDS = 300;

interface Shopper {
  readonly userId: string;
  readonly ageRange: number;
  readonly gender: number;
  readonly province: string;
}

interface Item {
  readonly itemId: string;
  readonly catId: string;
  readonly merchantId: string;
  readonly brandId: string;
}

/** Distinct numeric id strings drawn from [min, max]. */
function distinctIds(rng: Rng, count: number, min: number, max: number): string[] {
  const seen = new Set<string>();
  while (seen.size < count) seen.add(String(rng.int(min, max)));
  return [...seen];
}

class TaobaoGenerator implements ScenarioGenerator {
  private readonly rng: Rng;
  private readonly audience: Audience;
  private readonly timeZone: string;
  private readonly shoppers: readonly Shopper[];
  private readonly items: readonly Item[];
  /** month/day of the last minute seen (a luxon zone conversion per event would dominate the cost). */
  private dayCache: { minute: number; month: number; day: number } = { minute: Number.NaN, month: 0, day: 0 };

  constructor(ctx: ScenarioContext) {
    const rng = ctx.rng;
    this.rng = rng;
    this.audience = audienceOf(ctx);
    this.timeZone = ctx.timeZone;
    this.shoppers = distinctIds(rng, USERS, 1, 424170).map((userId) => ({
      userId,
      ageRange: rng.weightedIndex(AGE_WEIGHTS),
      gender: rng.weightedIndex(GENDER_WEIGHTS),
      province: rng.weighted(PROVINCES).name,
    }));
    const cats = distinctIds(rng, CATEGORIES, 1, 1671);
    const merchants = distinctIds(rng, MERCHANTS, 1, 4995);
    const brands = distinctIds(rng, BRANDS, 1, 8477);
    this.items = distinctIds(rng, ITEMS, 1, 1113166).map((itemId) => ({
      itemId,
      catId: rng.pick(cats),
      merchantId: rng.pick(merchants),
      brandId: rng.pick(brands),
    }));
  }

  next(nowMs: number): EventInput {
    const ms = Math.floor(nowMs);
    const shopper = pickUser(this.audience, this.shoppers, ms);
    const item = this.rng.pick(this.items);
    const actionCode = this.rng.weightedIndex(ACTION_WEIGHTS);
    const minute = Math.floor(ms / 60_000);
    if (minute !== this.dayCache.minute) this.dayCache = { minute, ...localMonthDay(ms, this.timeZone) };
    const { month, day } = this.dayCache;
    return {
      eventId: newEventId(this.rng, 'tb'),
      action: TAOBAO_ACTIONS[actionCode] as string,
      userId: shopper.userId,
      createdAt: isoUtc(ms),
      objectId: item.itemId,
      props: {
        actionCode,
        itemId: item.itemId,
        catId: item.catId,
        merchantId: item.merchantId,
        brandId: item.brandId,
        month,
        day,
        ageRange: shopper.ageRange,
        gender: shopper.gender,
        province: shopper.province,
      },
    };
  }
}

/** The Taobao scenario's user-behaviour rows as v1 events (shopper attributes fixed per user). */
export const taobaoScenario: Scenario = {
  name: 'taobao',
  description: 'Taobao shoppers: click / cart / buy / favourite with age range, gender, province (Taobao scenario)',
  dimensions: ['actionCode', 'ageRange', 'gender', 'province', 'catId', 'merchantId', 'brandId'],
  create: (ctx) => new TaobaoGenerator(ctx),
};
