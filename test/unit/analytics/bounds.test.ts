import type { PathsConfig } from '../../../lambdas/analytics/config';
import { dimValue, MAX_DIMENSION_VALUE_BYTES, parseDims } from '../../../lambdas/analytics/kpis';
import { emptySessionState, MAX_PAGE_BYTES, OVERFLOW_EDGE, sessionize } from '../../../lambdas/analytics/paths';
import { boundText } from '../../../lambdas/shared/results-table';
import { aPageView, aSeq } from './factories';

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

describe('sessionize: bounds', () => {
  const config: PathsConfig = { timeZone: 'Asia/Shanghai', sessionGapSeconds: 1800, maxSessionEvents: 20, maxClosedSessions: 20 };

  it('keeps pages bounded, and counts page views past maxSessionEvents on the overflow edge of their day instead of growing the session', () => {
    // prepare: one user's 60 page views of 1,000-character pages
    const events = Array.from({ length: 60 }, (_, i) =>
      aPageView(`pv-${i}`, `/${'p'.repeat(1000)}${i}`, new Date(Date.parse('2024-05-27T03:40:00.000Z') + i * 1000).toISOString()),
    );

    // act
    const result = sessionize(
      () => emptySessionState(),
      events.map((event, i) => ({ event, seq: aSeq(i + 1) })),
      config,
    );

    // assess
    const state = result.states.get('u:visitor-1');
    expect(state?.events).toHaveLength(20);
    for (const e of state?.events ?? []) expect(bytes(e[2])).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    const overflow = result.changes.filter((c) => c.source === OVERFLOW_EDGE.source && c.target === OVERFLOW_EDGE.target);
    expect(overflow.reduce((n, c) => n + c.delta, 0)).toBe(40);
    expect(result.stats.droppedOverflow).toBe(40);
    for (const c of result.changes) expect(bytes(c.source)).toBeLessThanOrEqual(MAX_PAGE_BYTES + 8);
  });
});
