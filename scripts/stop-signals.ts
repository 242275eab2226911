/**
 * How `npm start` and `npm run produce` take SIGINT and SIGTERM: the first asks for an orderly
 * stop, a second one during the stop is ignored (and said so), a third forces an immediate exit.
 * One Ctrl-C often arrives as several signals: the terminal signals the whole foreground process
 * group and launchers relay it again (npm forwards it to its child; `tsx` re-sends it ~30 ms later
 * when the child has not acknowledged it yet). Signals closer than `echoMs` to the one before are
 * therefore counted as the same request.
 */

/** The signals that ask a program to stop. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Signals this close to the previous counted one are relays of the same Ctrl-C. */
export const DEFAULT_ECHO_MS = 500;

/** The part of `process` the handler needs (a plain EventEmitter in tests). */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  removeListener(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface StopSignalOptions {
  /** The program's name in messages, e.g. `npm start`. */
  readonly name: string;
  /** First signal: begin the orderly stop. Called once. */
  readonly onStop: (signal: NodeJS.Signals) => void;
  /** Third signal: end now. Called once; it is expected to exit the process. */
  readonly onForce: (signal: NodeJS.Signals) => void;
  /** Where the notes about ignored signals go. @default process.stderr */
  readonly write?: (line: string) => void;
  /** @default DEFAULT_ECHO_MS */
  readonly echoMs?: number;
  /** @default process */
  readonly source?: SignalSource;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A registered stop handler. */
export interface StopSignals {
  /** True once the first signal arrived. */
  readonly requested: boolean;
  /** Resolves with the first signal. */
  readonly stopRequested: Promise<NodeJS.Signals>;
  /** Removes the listeners (the process then reacts to these signals as it would without them). */
  dispose(): void;
}

/**
 * Registers for SIGINT and SIGTERM on `source` (both behave the same): the first calls `onStop`,
 * the second is ignored with a note on stderr, the third calls `onForce`. Listeners stay
 * registered until `dispose`, so a repeated signal never meets Node's default handler mid-stop.
 */
export function handleStopSignals(options: StopSignalOptions): StopSignals {
  const source: SignalSource = options.source ?? process;
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const echoMs = options.echoMs ?? DEFAULT_ECHO_MS;
  let count = 0;
  let lastCountedAt = 0;
  let resolveRequested: (signal: NodeJS.Signals) => void = () => undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    resolveRequested = resolve;
  });

  const listener = (signal: NodeJS.Signals): void => {
    const at = now();
    if (count === 0) {
      count = 1;
      lastCountedAt = at;
      resolveRequested(signal);
      options.onStop(signal);
      return;
    }
    if (count >= 3) return;
    if (at - lastCountedAt < echoMs) {
      write(`${options.name}: ${signal} again within ${echoMs} ms, taken as the same stop request; still stopping`);
      return;
    }
    count += 1;
    lastCountedAt = at;
    if (count === 2) {
      write(`${options.name}: ${signal} ignored: still stopping (finishing what is in flight); one more forces an immediate exit`);
      return;
    }
    write(`${options.name}: ${signal} a third time: forcing exit now`);
    options.onForce(signal);
  };
  for (const signal of STOP_SIGNALS) source.on(signal, listener);
  return {
    get requested() {
      return count > 0;
    },
    stopRequested,
    dispose: () => {
      for (const signal of STOP_SIGNALS) source.removeListener(signal, listener);
    },
  };
}
