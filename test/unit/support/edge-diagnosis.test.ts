import type { EventInput } from '../../../lambdas/shared/event';
import type { AcceptedEvent } from '../../../scripts/producer/truth';
import { diagnoseEdges, formatEdgeDiagnosis } from '../../support/edge-diagnosis';

const ZONE = 'Asia/Shanghai';
const RECEIVED = '2024-05-27T03:41:00.000Z';

/** A page view of session `s` at second `second` (the stream's line adds `receivedAt`). */
function view(id: string, s: string, path: string, second: number, step?: { step: number; prevPath?: string }): EventInput {
  return {
    eventId: id,
    action: 'page_view',
    userId: 'u-1',
    sessionId: s,
    path,
    createdAt: `2024-05-27T03:40:${String(second).padStart(2, '0')}.000Z`,
    ...step,
  };
}
const line = (event: EventInput): Record<string, unknown> => ({ ...event, receivedAt: RECEIVED });
const acceptedOf = (events: readonly EventInput[]): Map<string, AcceptedEvent> =>
  new Map(events.map((event, seq) => [event.eventId, { event, seq }]));

// One step-less session /home → /blog → /faq, all accepted.
const events = [view('e1', 's1', '/home', 0), view('e2', 's1', '/blog', 1), view('e3', 's1', '/faq', 2)];
const expected = { '/home (1) -> /blog (2)': 1, '/blog (2) -> /faq (3)': 1 };

describe('edge diagnosis', () => {
  it('finds nothing when the edges match', () => {
    const d = diagnoseEdges({ api: expected, expected, accepted: acceptedOf(events), lake: events.map(line), timeZone: ZONE });
    expect(d.differing).toEqual([]);
    expect(d.verdict).toBe('the edges match');
  });

  it('blames the consumer when the stream holds exactly the accepted events', () => {
    const api = { ...expected, '/blog (2) -> /faq (3)': 2 };
    const d = diagnoseEdges({ api, expected, accepted: acceptedOf(events), lake: events.map(line), timeZone: ZONE });
    expect(d.differing).toEqual([{ edge: '/blog (2) -> /faq (3)', api: 2, expected: 1, lake: 1 }]);
    expect(d.verdict).toMatch(/^the stream holds exactly the accepted events .*: the consumer counted differently$/);
  });

  it('names events accepted twice, and events no producer saw accepted', () => {
    const late = view('e4', 's1', '/faq', 3);
    const api = { ...expected, '/faq (3) -> /faq (4)': 1 };
    const lake = [...events, events[2] as EventInput, late].map(line);
    const d = diagnoseEdges({ api, expected, accepted: acceptedOf(events), lake, timeZone: ZONE });
    expect(d.duplicates).toEqual([{ eventId: 'e3', times: 2 }]);
    expect(d.notAccepted).toEqual(['e4']);
    expect(d.differing).toEqual([{ edge: '/faq (3) -> /faq (4)', api: 1, expected: 0, lake: 1 }]);
    expect(d.verdict).toMatch(/^the stream holds events the truth does not/);
    expect(formatEdgeDiagnosis(d)).toContain('stream events accepted twice: 1 (e3 ×2)');
  });

  it('names accepted events missing from the stream, and page views whose previous step is not in it', () => {
    const stepped = [view('p2', 's2', '/blog', 5, { step: 2, prevPath: '/home' })];
    const all = [...events, ...stepped];
    const api = { '/home (1) -> /blog (2)': 2 };
    const d = diagnoseEdges({ api, expected, accepted: acceptedOf(all), lake: stepped.map(line), timeZone: ZONE });
    expect(d.missing).toEqual(['e1', 'e2', 'e3']);
    expect(d.stepsWithoutPrevious).toEqual([{ eventId: 'p2', edge: '/home (1) -> /blog (2)' }]);
    expect(d.verdict).toBe('the stream lacks events the producers saw accepted');
  });
});
