/**
 * The small version of `npm run bench:realtime`: 200 web events/s for 20 s (page views with their
 * steps) plus path documents on the local runtime; every real-time result read through the API
 * equals the producer's truth, no batch fails and nothing reaches the dead-letter destination.
 */
import { ConsumerProbe, runLoad } from '../bench/realtime-load';
import { startRuntime } from './harness';

describe('real-time results at load equal the truth', () => {
  it('200 events/s for 20 s plus path documents: counters, alerts and Sankey edges exact, no failed batch', async () => {
    // prepare
    const probe = new ConsumerProbe();
    const { runtime } = await startRuntime({ wrapStreamInvoke: probe.wrap, functionLog: probe.log });
    try {
      // act
      const figures = await runLoad(runtime, probe, { rate: 200, durationS: 20, seed: 21, documentsPer5s: 5 });

      // assess
      expect(figures.mismatches).toEqual([]);
      expect(figures.accepted).toBeGreaterThan(3500);
      expect(figures.batches.failed).toBe(0);
      expect(figures.deadLetters).toBe(0);
      expect(figures.wcuPer1000Total).toBeGreaterThan(0);
      expect(figures.lag.maxMs).toBeLessThan(10_000);
      expect(figures.drainSeconds).toBeLessThan(10);
    } finally {
      await runtime.stop();
    }
  }, 120_000);
});
