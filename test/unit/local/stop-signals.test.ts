import { EventEmitter } from 'events';
import { handleStopSignals, type SignalSource } from '../../../scripts/stop-signals';

/** A signal source driven by the test, with a clock it sets. */
function harness(echoMs = 500) {
  const emitter = new EventEmitter();
  const source: SignalSource = {
    on: (event, listener) => emitter.on(event, listener),
    removeListener: (event, listener) => emitter.removeListener(event, listener),
  };
  let now = 1_000;
  const calls: string[] = [];
  const notes: string[] = [];
  const handle = handleStopSignals({
    name: 'npm start',
    source,
    echoMs,
    now: () => now,
    write: (line) => notes.push(line),
    onStop: (signal) => calls.push(`stop ${signal}`),
    onForce: (signal) => calls.push(`force ${signal}`),
  });
  const send = (signal: NodeJS.Signals, afterMs: number): void => {
    now += afterMs;
    emitter.emit(signal, signal);
  };
  return { emitter, handle, calls, notes, send };
}

describe('handleStopSignals', () => {
  it('stops on the first signal, ignores the second saying so, and forces on the third', async () => {
    const h = harness();
    h.send('SIGINT', 0);
    h.send('SIGINT', 2_000);
    expect(h.calls).toEqual(['stop SIGINT']);
    expect(h.notes).toEqual([expect.stringMatching(/^npm start: SIGINT ignored: still stopping.*one more forces/)]);
    h.send('SIGINT', 2_000);
    expect(h.calls).toEqual(['stop SIGINT', 'force SIGINT']);
    h.send('SIGINT', 2_000);
    expect(h.calls).toHaveLength(2);
    await expect(h.handle.stopRequested).resolves.toBe('SIGINT');
  });

  it('takes SIGTERM exactly like SIGINT, mixed too', () => {
    const h = harness();
    h.send('SIGTERM', 0);
    h.send('SIGINT', 1_000);
    h.send('SIGTERM', 1_000);
    expect(h.calls).toEqual(['stop SIGTERM', 'force SIGTERM']);
  });

  it('counts signals that follow within the echo window as the same Ctrl-C (a launcher relaying it)', () => {
    const h = harness(500);
    h.send('SIGINT', 0);
    h.send('SIGINT', 30);
    h.send('SIGINT', 30);
    expect(h.calls).toEqual(['stop SIGINT']);
    expect(h.notes).toEqual([
      expect.stringContaining('taken as the same stop request'),
      expect.stringContaining('taken as the same stop request'),
    ]);
    h.send('SIGINT', 1_000);
    expect(h.calls).toEqual(['stop SIGINT']);
    h.send('SIGINT', 1_000);
    expect(h.calls).toEqual(['stop SIGINT', 'force SIGINT']);
  });

  it('keeps its listeners registered until disposed, so a repeated signal never meets the default handler', () => {
    const h = harness();
    h.send('SIGINT', 0);
    expect(h.emitter.listenerCount('SIGINT')).toBe(1);
    expect(h.emitter.listenerCount('SIGTERM')).toBe(1);
    expect(h.handle.requested).toBe(true);
    h.handle.dispose();
    expect(h.emitter.listenerCount('SIGINT')).toBe(0);
    expect(h.emitter.listenerCount('SIGTERM')).toBe(0);
  });
});
