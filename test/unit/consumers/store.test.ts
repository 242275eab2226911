import { cond, type WriteOp } from '../../../lambdas/consumers/store';
import { decimalAdd, MemoryResultsStore } from './memory-store';
import { STORE_SCENARIOS, withPlaceholder } from './store-scenarios';

describe('MemoryResultsStore: DynamoDB semantics (the same scenarios run on DynamoDB Local)', () => {
  it.each(STORE_SCENARIOS.map((s, i) => [s.name, i] as const))('%s', async (_name, i) => {
    // prepare
    const scenario = STORE_SCENARIOS[i];
    const store = new MemoryResultsStore();
    const pk = `T#${i}`;

    // act
    const result = await scenario?.run(store, pk);

    // assess
    expect(withPlaceholder(result, pk)).toEqual(scenario?.expected);
  });
});

describe('MemoryResultsStore: limits and counts', () => {
  it('counts puts, updates and failed conditions separately', async () => {
    // prepare
    const store = new MemoryResultsStore();
    const put: WriteOp = { kind: 'put', item: { pk: 'a', sk: '1' }, condition: cond.notExists('pk') };

    // act
    await store.write(put);
    await store.write(put);
    await store.write({ kind: 'update', key: { pk: 'a', sk: '2' }, update: { add: { n: 1 } } });

    // assess
    expect(store.stats).toMatchObject({ puts: 2, updates: 1, conditionFailures: 1 });
    expect(store.itemsWritten).toBe(3);
  });

  it('refuses items over 400 KB and duplicate keys in a batch get', async () => {
    // prepare
    const store = new MemoryResultsStore();
    const big = 'x'.repeat(400 * 1024);

    // act
    const outcomes = await Promise.allSettled([
      store.write({ kind: 'put', item: { pk: 'p', sk: 'big', big } }),
      store.batchGet([
        { pk: 'p', sk: '1' },
        { pk: 'p', sk: '1' },
      ]),
    ]);

    // assess
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).name : 'fulfilled'))).toEqual([
      'ValidationException',
      'ValidationException',
    ]);
    expect(store.dump()).toEqual([]);
  });

  it('adds numbers in decimal, as DynamoDB does', () => {
    // prepare
    const pairs: [number, number, number][] = [
      [0.1, 0.2, 0.3],
      [1.005, -0.005, 1],
      [-2.5, 1.25, -1.25],
      [12, 30, 42],
    ];

    // act
    const sums = pairs.map(([a, b]) => decimalAdd(a, b));

    // assess
    expect(sums).toEqual(pairs.map(([, , sum]) => sum));
  });

  it('hands out copies: changing what a read returned does not change the store', async () => {
    // prepare
    const store = new MemoryResultsStore();
    await store.write({ kind: 'put', item: { pk: 'a', sk: '1', list: [1, 2] } });

    // act
    const read = (await store.get({ pk: 'a', sk: '1' })) as { list: number[] };
    read.list.push(3);

    // assess
    expect(await store.get({ pk: 'a', sk: '1' })).toEqual({ pk: 'a', sk: '1', list: [1, 2] });
  });

  it('hands out copies of the old item too, after an update that kept its nested values', async () => {
    // prepare
    const store = new MemoryResultsStore();
    await store.write({ kind: 'put', item: { pk: 'a', sk: '1', m: { x: 1 } } });

    // act
    const outcome = await store.write(
      { kind: 'update', key: { pk: 'a', sk: '1' }, update: { add: { n: 1 } } },
      { returnValues: 'ALL_OLD' },
    );
    const old = (outcome.ok ? outcome.attributes : undefined) as { m: { x: number } };
    old.m.x = 2;

    // assess
    expect(await store.get({ pk: 'a', sk: '1' })).toEqual({ pk: 'a', sk: '1', m: { x: 1 }, n: 1 });
  });

  it('orders strings by their UTF-8 bytes, as DynamoDB does (not by UTF-16 units)', async () => {
    // prepare: U+1F600 is above U+FFFF in UTF-8, below it in UTF-16 (a surrogate pair starts with 0xD83D)
    const store = new MemoryResultsStore();
    await store.write({ kind: 'put', item: { pk: 'a', sk: '1', s: '\u{1F600}', t: 'ab' } });
    const check = async (attr: string, op: '<' | '>', value: string): Promise<boolean> =>
      (
        await store.write({
          kind: 'update',
          key: { pk: 'a', sk: '1' },
          update: { add: { n: 1 } },
          condition: cond.compare(attr, op, value),
        })
      ).ok;

    // act
    const results = [
      await check('s', '>', '\uffff'),
      await check('s', '<', '\uffff'),
      await check('t', '>', 'a'),
      await check('t', '<', 'ab\u00e9'),
      await check('t', '>', 'ac'),
    ];

    // assess
    expect(results).toEqual([true, false, true, true, false]);
  });
});
