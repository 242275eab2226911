import { MeteredStore } from '../../bench/metered-store';

const pad = (bytes: number): string => 'x'.repeat(bytes);

describe('the metered results store (what npm run bench:cost counts)', () => {
  it('charges a write 1 WRU per started KB of the larger of the item before and after', async () => {
    // prepare
    const store = new MeteredStore();

    // act: a put of about 1.5 KB, then an update that shrinks it to a few bytes
    await store.write({ kind: 'put', item: { pk: 'p', sk: 's', v: pad(1500) } });
    const afterPut = store.metering.wru;
    await store.write({ kind: 'update', key: { pk: 'p', sk: 's' }, update: { set: { v: 'y' } } });

    // assess
    expect(afterPut).toBe(2);
    expect(store.metering.wru).toBe(4);
    expect(store.metering.calls).toBe(2);
  });

  it('adds the index write of items that carry its keys', async () => {
    // prepare
    const store = new MeteredStore();

    // act
    await store.write({ kind: 'put', item: { pk: 'a', sk: '1', v: pad(100) } });
    await store.write({ kind: 'put', item: { pk: 'b', sk: '1', gpk: 'g', gsk: 't', v: pad(100) } });

    // assess: 1 + (1 + 1 for the byTime index)
    expect(store.metering.wru).toBe(3);
  });

  it('charges a failed conditional write as a write of the item as it is', async () => {
    // prepare
    const store = new MeteredStore();
    await store.write({ kind: 'put', item: { pk: 'p', sk: 's', v: pad(3000) } });
    store.reset();

    // act
    const outcome = await store.write({ kind: 'put', item: { pk: 'p', sk: 's' }, condition: { kind: 'notExists', attr: 'pk' } });

    // assess
    expect(outcome.ok).toBe(false);
    expect(store.metering.wru).toBe(3);
  });

  it('charges reads per started 4 KB, a missing item 1 RRU, a query by the page', async () => {
    // prepare
    const store = new MeteredStore();
    await store.write({ kind: 'put', item: { pk: 'p', sk: '1', v: pad(5000) } });
    await store.write({ kind: 'put', item: { pk: 'p', sk: '2', v: pad(2000) } });
    store.reset();

    // act
    await store.get({ pk: 'p', sk: '1' });
    await store.get({ pk: 'p', sk: 'missing' });
    await store.query('p');

    // assess: 2 + 1 + ceil(7 KB / 4 KB) = 2
    expect(store.metering.rru).toBe(5);
  });
});
