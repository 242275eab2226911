import type { EventInput } from '../../../lambdas/shared/event';
import type { Rng } from '../rng';
import { isoUtc } from '../time';
import { newEventId, type Scenario, type ScenarioContext, type ScenarioGenerator } from './types';

/** The vending scenario's machine ids (the locust script's `machines` list). */
export const VENDING_MACHINES = [1, 12, 13, 14, 15, 16, 17, 18, 19, 20] as const;

/** A commodity of the dimension table; prices are multiples of 0.5 yuan so sums stay exact. */
export interface Commodity {
  readonly commodityId: string;
  readonly commodityName: string;
  readonly price: number;
  /** The locust task weight (100, 90, … 10). */
  readonly weight: number;
}

/** The vending scenario's commodities 1000001..1000010 with the locust task weights 100..10. */
export const VENDING_COMMODITIES: readonly Commodity[] = [
  { commodityId: '1000001', commodityName: 'Mineral water 550ml', price: 2, weight: 100 },
  { commodityId: '1000002', commodityName: 'Cola 330ml', price: 3, weight: 90 },
  { commodityId: '1000003', commodityName: 'Green tea 500ml', price: 3.5, weight: 80 },
  { commodityId: '1000004', commodityName: 'Orange juice 450ml', price: 4.5, weight: 70 },
  { commodityId: '1000005', commodityName: 'Instant noodles', price: 5, weight: 60 },
  { commodityId: '1000006', commodityName: 'Potato chips 70g', price: 5.5, weight: 50 },
  { commodityId: '1000007', commodityName: 'Iced coffee 280ml', price: 6, weight: 40 },
  { commodityId: '1000008', commodityName: 'Chocolate bar 50g', price: 6.5, weight: 30 },
  { commodityId: '1000009', commodityName: 'Yogurt 200g', price: 7.5, weight: 20 },
  { commodityId: '1000010', commodityName: 'Energy drink 250ml', price: 8, weight: 10 },
];

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
  private readonly customers: readonly string[];

  constructor(ctx: ScenarioContext) {
    this.rng = ctx.rng;
    this.customers = Array.from({ length: CUSTOMERS }, () => `wx-${this.rng.hex(16)}`);
  }

  next(nowMs: number): EventInput {
    const rng = this.rng;
    const commodity = drawCommodity(rng);
    const machineId = rng.pick(VENDING_MACHINES);
    const quantity = rng.chance(DOUBLE_SHARE) ? 2 : 1;
    const orderId = rng.digits(16);
    return {
      eventId: newEventId(rng, 'vm'),
      action: 'order',
      userId: rng.pick(this.customers),
      createdAt: isoUtc(Math.floor(nowMs)),
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
