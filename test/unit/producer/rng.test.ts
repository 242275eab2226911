import { Rng, deriveSeed, mulberry32 } from '../../../scripts/producer/rng';

describe('rng', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(1000);
    expect(mulberry32(124)()).not.toBe(xs[0]);
  });

  it('is roughly uniform', () => {
    const rng = new Rng(99);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(rng.next() * 10)] += 1;
    for (const n of buckets) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });

  it('draws integers inclusively, hex and digits of the asked length', () => {
    const rng = new Rng(1);
    const ints = new Set(Array.from({ length: 2000 }, () => rng.int(3, 6)));
    expect([...ints].sort()).toEqual([3, 4, 5, 6]);
    expect(rng.hex(24)).toMatch(/^[0-9a-f]{24}$/);
    expect(rng.digits(15)).toMatch(/^\d{15}$/);
    expect(() => rng.pick([])).toThrow('empty');
    expect(() => rng.weightedIndex([0, 0])).toThrow('positive sum');
  });

  it('derives distinct sub-stream seeds', () => {
    expect(new Set([0, 1, 2, 3].map((s) => deriveSeed(42, s))).size).toBe(4);
    expect(deriveSeed(42, 1)).toBe(deriveSeed(42, 1));
  });
});
