import type { PathsConfig } from '../../../lambdas/analytics/config';
import { dimValue, MAX_DIMENSION_VALUE_BYTES, parseDims } from '../../../lambdas/analytics/kpis';
import { addToLedger, applyEvents, emptySessionState, MAX_PAGE_BYTES, OTHER_EDGE } from '../../../lambdas/analytics/paths';
import { boundText, OTHER_LABEL } from '../../../lambdas/shared/results-table';
import { aPageView } from './factories';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('boundText', () => {
  it('keeps a value that fits, byte for byte', () => {
    expect(boundText('/checkout/支付', 64)).toBe('/checkout/支付');
  });

  it.each([
    ['1,024 emoji', '😀'.repeat(1024), 256],
    ['1,024 x', 'x'.repeat(1024), 120],
    ['CJK', '漢'.repeat(700), 1024],
  ])('cuts %s to a readable prefix of whole code points and a digest, within the byte bound', (_, value, max) => {
    const bounded = boundText(value, max);
    expect(bytes(bounded)).toBeLessThanOrEqual(max);
    expect(bounded).toMatch(/…[0-9a-f]{16}$/u);
    const prefix = bounded.slice(0, bounded.indexOf('…'));
    expect(value.startsWith(prefix)).toBe(true);
    expect(prefix.length).toBeGreaterThan(0);
    expect(boundText(value, max)).toBe(bounded);
  });

  it('gives two long values that share their prefix two different texts', () => {
    const a = boundText(`${'x'.repeat(500)}a`, 100);
    const b = boundText(`${'x'.repeat(500)}b`, 100);
    expect(a).not.toBe(b);
  });
});

describe('dimValue', () => {
  it('bounds the escaped value, so that a value of = and & still fits, and the dims string splits back', () => {
    const value = '=&%'.repeat(400);
    const encoded = dimValue(value);
    expect(bytes(encoded)).toBeLessThanOrEqual(MAX_DIMENSION_VALUE_BYTES);
    const [[field, decoded] = ['', '']] = parseDims(`action=${encoded}`);
    expect(field).toBe('action');
    expect(decoded.startsWith('=&%')).toBe(true);
  });
});

describe('addToLedger', () => {
  const bounds = { maxEntries: 3, maxBytes: 10_000 };

  it('adds to keys it holds, takes new keys while it has room, and sends the rest to (other): the weights add up', () => {
    // prepare
    const stored = { edges: { e1: 2 }, paths: { p1: 1 } };

    // act
    const ledger = addToLedger(
      stored,
      {
        edges: [
          ['e1', 1],
          ['e2', 1],
          ['e3', 4],
        ],
        paths: [['p2', 1]],
        overflowEvents: 2,
      },
      bounds,
    );

    // assess
    expect(ledger).toEqual({ edges: { e1: 3, e2: 1, [OTHER_EDGE]: 4 }, paths: { p1: 1, [OTHER_LABEL]: 1 }, overflowEvents: 2 });
  });

  it('a negative delta of a key it does not hold (it went to (other)) comes off (other); a key that reaches 0 frees its place', () => {
    // prepare
    const stored = { edges: { e1: 1, e2: 1, [OTHER_EDGE]: 3 }, paths: {} };

    // act
    const ledger = addToLedger(
      stored,
      {
        edges: [
          ['e9', -1],
          ['e1', -1],
          ['e4', 1],
          ['e2', -3],
        ],
        paths: [],
        overflowEvents: 0,
      },
      bounds,
    );

    // assess
    expect(ledger.edges).toEqual({ e4: 1 });
    expect(Object.values(ledger.edges).reduce((a, b) => a + b, 0)).toBe(5 - 1 - 1 + 1 - 3);
  });

  it('keeps its JSON within maxBytes', () => {
    const long = (i: number) => `${String(i).padStart(4, '0')}${'y'.repeat(900)}`;
    const ledger = addToLedger(
      { edges: {}, paths: {} },
      { edges: [], paths: Array.from({ length: 50 }, (_, i) => [long(i), 1] as const), overflowEvents: 0 },
      { maxEntries: 1000, maxBytes: 10_000 },
    );
    expect(bytes(JSON.stringify(ledger))).toBeLessThanOrEqual(10_000 + 100);
    expect(ledger.paths[OTHER_LABEL]).toBeGreaterThan(0);
    expect(Object.values(ledger.paths).reduce((a, b) => a + b, 0)).toBe(50);
  });
});

describe('applyEvents: bounds', () => {
  const config: PathsConfig = {
    timeZone: 'Asia/Shanghai',
    sessionGapSeconds: 1800,
    maxSessionEvents: 200,
    maxClosedSessions: 10_000,
    maxSliceBytes: 10_000,
  };

  it('keeps pages bounded, and counts events past maxSliceBytes as overflow events of their day instead of growing the state', () => {
    // prepare
    const events = Array.from({ length: 60 }, (_, i) =>
      aPageView(`pv-${i}`, `/${'p'.repeat(1000)}${i}`, '2024-05-27T03:40:00.000Z', { userId: `u-${i}` }),
    );

    // act
    const result = applyEvents(emptySessionState(), events, 0, config);

    // assess
    expect(Buffer.byteLength(JSON.stringify(result.state))).toBeLessThanOrEqual(10_000);
    for (const sessionEvents of Object.values(result.state.open))
      for (const e of sessionEvents) expect(bytes(e[3])).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    const kept = Object.values(result.state.open).reduce((n, e) => n + e.length, 0);
    expect(result.overflowDeltas).toEqual([{ day: '2024-05-27', events: 60 - kept }]);
    expect(kept).toBeGreaterThan(0);
    expect(result.pathDeltas.reduce((n, d) => n + d.delta, 0)).toBe(kept);
  });
});
