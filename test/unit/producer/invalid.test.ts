import { eventInputSchema, type EventInput } from '../../../lambdas/shared/event';
import { BAD_CREATED_AT, INVALID_KIND_NAMES, INVALID_KINDS, breakEvent, createInvalidInjector } from '../../../scripts/producer/invalid';
import { Rng } from '../../../scripts/producer/rng';
import { parseEventTime } from '../../../scripts/producer/time';
import { validate } from './fake-api';

const valid: EventInput = { eventId: 'e-1', action: 'page_view', userId: 'u-1', createdAt: '2024-05-27T03:40:00.000Z', path: '/home' };

describe('invalid events', () => {
  it.each(INVALID_KIND_NAMES)('%s is rejected on the field it names, and keeps its eventId', (kind) => {
    const broken = breakEvent(valid, kind);
    expect(broken.eventId).toBe('e-1');
    expect(validate({ ...broken })?.field).toBe(INVALID_KINDS[kind]);
  });

  it('fails the v1 schema, except bad-createdAt which fails as a time', () => {
    for (const kind of INVALID_KIND_NAMES.filter((k) => k !== 'bad-createdAt')) {
      expect(eventInputSchema.safeParse(breakEvent(valid, kind)).success).toBe(false);
    }
    expect(parseEventTime(BAD_CREATED_AT, 'UTC')).toBeUndefined();
    expect(eventInputSchema.safeParse(valid).success).toBe(true);
  });

  it('breaks about the given share of events, cycling through the kinds', () => {
    const inject = createInvalidInjector(new Rng(5), 0.2);
    const kinds = Array.from({ length: 10_000 }, () => inject(valid).invalid).filter((k) => k !== undefined);
    expect(kinds.length).toBeGreaterThan(1800);
    expect(kinds.length).toBeLessThan(2200);
    expect(kinds.slice(0, 8)).toEqual([...INVALID_KIND_NAMES, ...INVALID_KIND_NAMES]);
  });

  it('leaves every event alone with ratio 0', () => {
    const inject = createInvalidInjector(new Rng(5), 0);
    expect(Array.from({ length: 1000 }, () => inject(valid)).every((r) => r.invalid === undefined && r.wire === valid)).toBe(true);
  });
});
