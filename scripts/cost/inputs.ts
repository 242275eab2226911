/**
 * The cost model's two checked-in inputs and their schemas: `prices.json` (list prices, each
 * with its source page and date) and `measured.json` (per-unit figures the project measures,
 * each with how, when and by what). Both are validated on load; a bad entry fails naming it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';

const tier = z.object({ upTo: z.number().positive().optional(), usd: z.number().nonnegative() }).strict();

const price = z
  .object({
    usd: z.number().nonnegative().optional(),
    tiers: z.array(tier).min(1).optional(),
    unit: z.string().min(1),
    source: z.string().url(),
    asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    /** Units a month that cost nothing (a free allowance the price page states as part of the price). */
    freeUnits: z.number().nonnegative().optional(),
    /** Set when a billing rule or figure of this entry is not stated on the page: says what is assumed. */
    assumed: z.string().min(1).optional(),
  })
  .strict()
  .refine((p) => (p.usd === undefined) !== (p.tiers === undefined), { message: 'needs exactly one of usd and tiers' });

const pricesFile = z
  .object({
    region: z.string(),
    currency: z.literal('USD'),
    hoursPerMonth: z.number().positive(),
    note: z.string(),
    prices: z.record(z.string(), price),
  })
  .strict();

export type Price = z.infer<typeof price>;
export type PriceTable = z.infer<typeof pricesFile>;

const figure = z
  .object({
    value: z.number().nonnegative(),
    unit: z.string().min(1),
    how: z.string().min(1),
    /** Date of the measurement (or of the count or assumption). */
    at: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    /** The command that measured it, `counted` (read from the code), or `assumed`. */
    by: z.string().min(1),
    /** Which design of the code the figure measures, when it is about to change. */
    design: z.string().min(1).optional(),
  })
  .strict();

const measuredFile = z.object({ note: z.string(), figures: z.record(z.string(), figure) }).strict();

export type MeasuredFigure = z.infer<typeof figure>;
export type MeasuredFile = z.infer<typeof measuredFile>;

/** Thrown when an input file does not match its schema; the message names the file and each bad entry. */
export class CostInputError extends Error {
  override readonly name = 'CostInputError';
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new CostInputError(`${what}: ${issues}`);
}

/** Validates a parsed `prices.json`; throws CostInputError naming every bad entry. */
export const parsePrices = (value: unknown): PriceTable => parse(pricesFile, value, 'prices.json');
/** Validates a parsed `measured.json`; throws CostInputError naming every bad entry. */
export const parseMeasured = (value: unknown): MeasuredFile => parse(measuredFile, value, 'measured.json');

/** The checked-in price table and measured figures (`scripts/cost/*.json`). */
export function loadInputs(dir: string = __dirname): { prices: PriceTable; measured: MeasuredFile } {
  const read = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
  return { prices: parsePrices(read('prices.json')), measured: parseMeasured(read('measured.json')) };
}

/** Looks up named entries and fails with a clear error for a missing one. */
export class Inputs {
  constructor(
    readonly prices: PriceTable,
    readonly measured: MeasuredFile,
  ) {}

  /** The price entry `name`; throws CostInputError when prices.json has none. */
  price(name: string): Price {
    const p = this.prices.prices[name];
    if (p === undefined) throw new CostInputError(`prices.json: no price "${name}"`);
    return p;
  }

  /** USD per unit of a flat price (tiered prices: see {@link Inputs.tieredUsd}). */
  usd(name: string): number {
    const p = this.price(name);
    if (p.usd === undefined) throw new CostInputError(`prices.json: "${name}" is tiered; it has no flat usd`);
    return p.usd;
  }

  /** USD for `units` of a tiered price quoted per `per` units (e.g. per million requests). */
  tieredUsd(name: string, units: number, per: number): number {
    const p = this.price(name);
    if (p.tiers === undefined) return (units / per) * this.usd(name);
    let left = units;
    let from = 0;
    let usd = 0;
    for (const t of p.tiers) {
      const size = t.upTo === undefined ? left : Math.min(left, t.upTo - from);
      usd += (size / per) * t.usd;
      left -= size;
      from = t.upTo ?? from;
      if (left <= 0) break;
    }
    return usd;
  }

  /** The measured figure `name`; throws CostInputError when measured.json has none. */
  figure(name: string): number {
    const f = this.measured.figures[name];
    if (f === undefined) throw new CostInputError(`measured.json: no figure "${name}"`);
    return f.value;
  }
}
