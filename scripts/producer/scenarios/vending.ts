import type { EventInput } from '../../../lambdas/shared/event';
import { loadCommodities } from '../commodities';
import type { Audience } from '../history';
import type { Rng } from '../rng';
import { isoUtc } from '../time';
import { audienceOf, newEventId, pickUser, type Scenario, type ScenarioContext, type ScenarioGenerator } from './types';

/** The vending scenario's machine ids (the locust script's `machines` list). */
export const VENDING_MACHINES = [1, 12, 13, 14, 15, 16, 17, 18, 19, 20] as const;

/** A commodity of the dimension (`dim/commodity.csv`), with how often the scenario sells it. */
export interface Commodity {
  readonly commodityId: string;
  readonly commodityName: string;
  /** The dimension's `unitPrice`, yuan. */
  readonly price: number;
  /** The locust task weight: 100 for the first row of the dimension, 10 less per row, at least 10. */
  readonly weight: number;
}

/** The locust task weight of the dimension's row `index` (100, 90, … 10, then 10). */
export const commodityWeight = (index: number): number => Math.max(10, 100 - 10 * index);

/** The vending commodities, read from `dim/commodity.csv`, weighted 100..10 in file order like the locust tasks. */
export const VENDING_COMMODITIES: readonly Commodity[] = loadCommodities().map((row, index) => ({
  commodityId: row.commodityId,
  commodityName: row.commodityName,
  price: row.unitPrice,
  weight: commodityWeight(index),
}));

const PLATFORMS = [
  { platformType: 'Wechat', weight: 70 },
  { platformType: 'Alipay', weight: 30 },
] as const;
/** Share of orders for two units of the commodity instead of one. */
const DOUBLE_SHARE = 0.15;
const CUSTOMERS = 1000;

/** Draws a commodity with probability proportional to its locust weight. */
export function drawCommodity(rng: Rng): Commodity {
  return rng.weighted(VENDING_COMMODITIES);
}

class VendingGenerator implements ScenarioGenerator {
  private readonly rng: Rng;
  private readonly audience: Audience;
  private readonly customers: readonly string[];

  constructor(ctx: ScenarioContext) {
    this.rng = ctx.rng;
    this.audience = audienceOf(ctx);
    this.customers = Array.from({ length: CUSTOMERS }, () => `wx-${this.rng.hex(16)}`);
  }

  next(nowMs: number): EventInput {
    const rng = this.rng;
    const ms = Math.floor(nowMs);
    const commodity = drawCommodity(rng);
    const machineId = rng.pick(VENDING_MACHINES);
    const quantity = rng.chance(DOUBLE_SHARE) ? 2 : 1;
    const orderId = rng.digits(16);
    return {
      eventId: newEventId(rng, 'vm'),
      action: 'order',
      userId: pickUser(this.audience, this.customers, ms),
      createdAt: isoUtc(ms),
      objectId: orderId,
      bizId: `machine-${machineId}`,
      props: {
        orderId,
        machineId,
        commodityId: commodity.commodityId,
        commodityName: commodity.commodityName,
        price: commodity.price,
        quantity,
        amount: commodity.price * quantity,
        platformType: rng.weighted(PLATFORMS).platformType,
      },
    };
  }
}

/** The vending scenario's vending-machine orders, commodities weighted like the locust tasks. */
export const vendingScenario: Scenario = {
  name: 'vending',
  description: 'vending-machine orders on 10 machines, commodities weighted 100..10 like the locust tasks (vending scenario)',
  dimensions: ['machineId', 'commodityId', 'platformType'],
  create: (ctx) => new VendingGenerator(ctx),
};
