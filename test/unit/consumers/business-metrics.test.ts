import { createHandler as createRealtime } from '../../../lambdas/consumers/realtime';
import { createHandler as createWindows } from '../../../lambdas/consumers/windows';
import { MetricTally } from '../../../lambdas/shared/metrics';
import { aBatch, aPageView, aRecord, aStreamEvent, aWindowEvent, SHARD, someDeps, someRecords, someWarnings } from './factories';

/** Consumer dependencies whose business counts land in a tally. */
const meteredDeps = () => ({ ...someDeps(), metrics: new MetricTally() });

describe('realtime consumer: business metrics', () => {
  it('counts poison records, late events, new alerts, and no alert twice on a redelivery', async () => {
    // prepare
    const deps = meteredDeps();
    const handle = createRealtime(deps);
    const records = [
      ...someRecords([
        aPageView('pv-1', '/home', '2024-05-27T03:40:00.000Z'),
        aStreamEvent({ eventId: 'err-1', action: 'pay', createdAt: '2024-05-27T03:40:10.000Z', errorMsg: '[error] gateway timeout' }),
        aPageView('pv-2', '/blog', '2024-05-27T03:41:00.000Z'),
        aStreamEvent({
          eventId: 'late-1',
          action: 'page_view',
          createdAt: '2024-05-27T03:35:00.000Z',
          receivedAt: '2024-05-27T03:41:36.000Z',
        }),
      ]),
      aRecord('{"eventId":"cut', 5),
    ];

    // act
    await handle(aBatch(records));
    const first = {
      poison: deps.metrics.count('PoisonRecords'),
      late: deps.metrics.count('LateEvents'),
      alerts: deps.metrics.count('AlertsRaised'),
    };
    deps.metrics.clear();
    await handle(aBatch(records));

    // assess
    expect(first).toEqual({ poison: 1, late: 1, alerts: 1 });
    expect(deps.metrics.count('AlertsRaised')).toBe(0);
  });
});

describe('windows consumer: business metrics', () => {
  it('counts a settled window once per final invoke and the alerts it raised', async () => {
    // prepare
    const deps = meteredDeps();
    const handle = createWindows(deps);
    const window = { start: '2024-05-27T03:40:00Z', end: '2024-05-27T03:41:00Z' };

    // act: one batch of 12 warnings for one action (threshold 10), then the final invoke
    const folded = await handle(aWindowEvent({ records: someRecords(someWarnings(12, 'viewDoc')), window }));
    const afterFold = deps.metrics.count('WindowsFired');
    await handle(aWindowEvent({ state: folded.state, final: true, window, shardId: SHARD }));

    // assess
    expect(afterFold).toBe(0);
    expect(deps.metrics.count('WindowsFired')).toBe(1);
    expect(deps.metrics.count('AlertsRaised')).toBe(1);
  });
});
