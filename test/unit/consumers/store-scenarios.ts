import { packJson, unpackJson } from '../../../lambdas/shared/results-table';
import { cond, type Item, type ResultsStore } from '../../../lambdas/consumers/store';

/**
 * DynamoDB semantics the consumers rely on, as scenarios with their expected outcome. The same
 * list runs on the memory store (store.test.ts) and on DynamoDB Local (dynamo-store.test.ts),
 * so the memory store is checked against the real thing.
 */
export interface StoreScenario {
  readonly name: string;
  /** Runs on a store whose partition `pk` is empty; returns what is compared. */
  readonly run: (store: ResultsStore, pk: string) => Promise<unknown>;
  readonly expected: unknown;
}

const WM_1 = '0'.repeat(120) + '00000100';
const WM_2 = '0'.repeat(120) + '00000200';

/** Outcome without the bulk: ok, old item (when any) or attributes. */
const brief = (outcome: { ok: boolean; old?: Item; attributes?: Item }) =>
  outcome.ok ? { ok: true, attributes: outcome.attributes ?? null } : { ok: false, old: outcome.old ?? null };

/** The name of a rejection, or 'resolved'. */
async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (error) {
    return error instanceof Error ? error.name : String(error);
  }
}

export const STORE_SCENARIOS: readonly StoreScenario[] = [
  {
    name: 'put once: the second put fails and hands back the old item only when asked (ALL_OLD)',
    run: async (store, pk) => {
      const first = await store.write(
        { kind: 'put', item: { pk, sk: 'A', n: 1, notified: false }, condition: cond.notExists('pk') },
        { returnOldOnConditionFailure: true },
      );
      const second = await store.write(
        { kind: 'put', item: { pk, sk: 'A', n: 2 }, condition: cond.notExists('pk') },
        { returnOldOnConditionFailure: true },
      );
      const silent = await store.write({ kind: 'put', item: { pk, sk: 'A', n: 3 }, condition: cond.notExists('pk') });
      return { first: brief(first), second: brief(second), silent: brief(silent), stored: await store.get({ pk, sk: 'A' }) };
    },
    expected: {
      first: { ok: true, attributes: null },
      second: { ok: false, old: { pk: 'P', sk: 'A', n: 1, notified: false } },
      silent: { ok: false, old: null },
      stored: { pk: 'P', sk: 'A', n: 1, notified: false },
    },
  },
  {
    name: 'update creates the item; ADD starts from 0 and adds in decimal; if_not_exists keeps the first value; ALL_OLD/ALL_NEW',
    run: async (store, pk) => {
      const key = { pk, sk: 'M' };
      const a = await store.write(
        { kind: 'update', key, update: { add: { count: 2, sum: 0.1 }, setIfNotExists: { first: 'x' } } },
        { returnValues: 'ALL_OLD' },
      );
      const b = await store.write(
        { kind: 'update', key, update: { add: { count: 3, sum: 0.2 }, setIfNotExists: { first: 'y' } } },
        { returnValues: 'ALL_NEW' },
      );
      return { a: brief(a), b: brief(b) };
    },
    expected: {
      a: { ok: true, attributes: null },
      b: { ok: true, attributes: { pk: 'P', sk: 'M', count: 5, sum: 0.3, first: 'x' } },
    },
  },
  {
    name: 'watermark condition: missing attribute fails "<", passes "not exists OR <"; padded strings compare as numbers',
    run: async (store, pk) => {
      const key = { pk, sk: 'W' };
      const guard = (first: string) => cond.or(cond.notExists('wm_s'), cond.compare('wm_s', '<', first));
      const bare = await store.write({ kind: 'update', key, update: { set: { x: 1 } }, condition: cond.compare('wm_s', '<', WM_1) });
      const initial = await store.write({
        kind: 'update',
        key,
        update: { add: { count: 1 }, set: { wm_s: WM_1 } },
        condition: guard(WM_1),
      });
      const replay = await store.write(
        { kind: 'update', key, update: { add: { count: 1 }, set: { wm_s: WM_1 } }, condition: guard(WM_1) },
        { returnOldOnConditionFailure: true },
      );
      const later = await store.write(
        { kind: 'update', key, update: { add: { count: 1 }, set: { wm_s: WM_2 } }, condition: guard(WM_2) },
        { returnValues: 'ALL_NEW' },
      );
      const asRead = await store.write({ kind: 'update', key, update: { add: { count: 1 } }, condition: cond.compare('wm_s', '=', WM_1) });
      const wrongType = await store.write({ kind: 'update', key, update: { add: { count: 1 } }, condition: cond.compare('wm_s', '<', 5) });
      return { bare: bare.ok, initial: initial.ok, replay: brief(replay), later: brief(later), asRead: asRead.ok, wrongType: wrongType.ok };
    },
    expected: {
      bare: false,
      initial: true,
      replay: { ok: false, old: { pk: 'P', sk: 'W', count: 1, wm_s: WM_1 } },
      later: { ok: true, attributes: { pk: 'P', sk: 'W', count: 2, wm_s: WM_2 } },
      asRead: false,
      wrongType: false,
    },
  },
  {
    name: 'min/max only move outward; REMOVE drops an attribute',
    run: async (store, pk) => {
      const key = { pk, sk: 'X' };
      const lower = (v: number) =>
        store.write({
          kind: 'update',
          key,
          update: { set: { min: v } },
          condition: cond.or(cond.notExists('min'), cond.compare('min', '>', v)),
        });
      const outcomes = [(await lower(5)).ok, (await lower(7)).ok, (await lower(3)).ok, (await lower(3)).ok];
      await store.write({ kind: 'update', key, update: { set: { tmp: 'x' } } });
      await store.write({ kind: 'update', key, update: { remove: ['tmp'] } });
      return { outcomes, stored: await store.get(key) };
    },
    expected: { outcomes: [true, false, true, false], stored: { pk: 'P', sk: 'X', min: 3 } },
  },
  {
    name: 'conditional puts on a version apply only when it matches; a batch get returns the items that exist, binary intact',
    run: async (store, pk) => {
      await store.write({ kind: 'put', item: { pk, sk: 'C', v: 1 } });
      const failed = await store.write({ kind: 'put', item: { pk, sk: 'C', v: 3 }, condition: cond.compare('v', '=', 2) });
      const afterFailure = (await store.query(pk)).map((item) => [item.sk, item.v]);
      const done = await store.write({ kind: 'put', item: { pk, sk: 'C', v: 2 }, condition: cond.compare('v', '=', 1) });
      await store.write({ kind: 'put', item: { pk, sk: 'N', d: packJson({ a: 1 }), v: 1 }, condition: cond.notExists('pk') });
      await store.write({ kind: 'update', key: { pk, sk: 'U' }, update: { add: { n: 1 } }, condition: cond.notExists('pk') });
      const items = await store.batchGet([
        { pk, sk: 'N' },
        { pk, sk: 'C' },
        { pk, sk: 'missing' },
      ]);
      const n = items.get(`${pk}\u0000N`)?.d;
      return {
        failed,
        afterFailure,
        done,
        found: [...items.keys()].map((id) => id.split('\u0000')[1]).sort(),
        d: n instanceof Uint8Array ? unpackJson(n) : null,
        versions: (await store.query(pk)).map((item) => [item.sk, item.v ?? item.n]),
      };
    },
    expected: {
      failed: { ok: false, old: undefined },
      afterFailure: [['C', 1]],
      done: { ok: true, attributes: undefined },
      found: ['C', 'N'],
      d: { a: 1 },
      versions: [
        ['C', 2],
        ['N', 1],
        ['U', 1],
      ],
    },
  },
  {
    name: 'invalid requests reject and change nothing: ADD to a string, an order on BOOL, SET of a key attribute',
    run: async (store, pk) => {
      await store.write({ kind: 'put', item: { pk, sk: 'S', s: 'text' } });
      return {
        addToString: await rejection(store.write({ kind: 'update', key: { pk, sk: 'S' }, update: { add: { s: 1 } } })),
        orderOnBoolean: await rejection(
          store.write({ kind: 'update', key: { pk, sk: 'S' }, update: { set: { b: true } }, condition: cond.compare('b', '<', true) }),
        ),
        left: (await store.query(pk)).map((item) => item.sk),
        setKey: await rejection(store.write({ kind: 'update', key: { pk, sk: 'S' }, update: { set: { sk: 'other' } } })),
      };
    },
    expected: {
      addToString: 'ValidationException',
      orderOnBoolean: 'ValidationException',
      left: ['S'],
      setKey: 'ValidationException',
    },
  },
];

/** `value` with every string equal to `pk` replaced by 'P' (scenarios run on their own partitions). */
export function withPlaceholder(value: unknown, pk: string): unknown {
  if (value === pk) return 'P';
  if (Array.isArray(value)) return value.map((v) => withPlaceholder(v, pk));
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPlaceholder(v, pk)]));
  }
  return value;
}
