/**
 * Runs groups of commands ("lanes") side by side, each lane's steps one after another, for
 * `npm test` on a two-core machine: the first failing step stops every other running step and
 * no further step starts. One lane may stream its output live; the others' output is kept and
 * printed in one piece when each step ends, so no two steps' lines interleave.
 */
import { spawn, type ChildProcess } from 'child_process';

/** One command of a lane. */
export interface Step {
  /** Name in headers and the summary, e.g. `typecheck`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

/** Steps run in order; the lane stops at its first failing step. */
export interface Lane {
  readonly name: string;
  readonly steps: readonly Step[];
  /** Write the steps' output as it comes (at most one lane should). @default false */
  readonly live?: boolean;
}

/** What became of one step. */
export interface StepResult {
  readonly lane: string;
  readonly step: string;
  /** `stopped`: ended because a step of another lane failed; `skipped`: never started. */
  readonly outcome: 'passed' | 'failed' | 'stopped' | 'skipped';
  /** Exit code, or the signal that ended it. */
  readonly exit?: number | NodeJS.Signals;
  readonly seconds?: number;
}

export interface RunLanesOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Where output and headers go. @default process.stdout */
  readonly write?: (text: string) => void;
  /** Aborting stops every running step (e.g. on Ctrl-C) as a failure does. */
  readonly signal?: AbortSignal;
  /** Aborting kills every step's process group at once (SIGKILL), e.g. on a second Ctrl-C. */
  readonly force?: AbortSignal;
  /** After a stop (failure or `signal`), groups still alive this long later are killed. @default 10000 */
  readonly killAfterMs?: number;
  /** After a step's process exits, how long its output may stay open (a child that kept it) before the step ends anyway. @default 2000 */
  readonly drainMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Runs the lanes at once and resolves with every step's result in lane order once all have
 * ended. Each step leads its own process group, so stopping one ends everything it started.
 */
export async function runLanes(lanes: readonly Lane[], options: RunLanesOptions): Promise<StepResult[]> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const now = options.now ?? Date.now;
  const running = new Set<ChildProcess>();
  /** Process groups started and not yet known to be empty (a step's leader may exit before what it started). */
  const groups = new Set<number>();
  let failed = false;
  let killTimer: NodeJS.Timeout | undefined;
  const signalGroups = (signal: NodeJS.Signals): void => {
    for (const pgid of groups) {
      try {
        process.kill(-pgid, signal);
      } catch {
        groups.delete(pgid); // the group is gone
      }
    }
  };
  const killAll = (): void => {
    if (killTimer !== undefined) clearTimeout(killTimer);
    killTimer = undefined;
    signalGroups('SIGKILL');
  };
  const stopAll = (): void => {
    failed = true;
    signalGroups('SIGTERM');
    // A group that ignores SIGTERM is killed; later stops (another failure, a second Ctrl-C) re-send SIGTERM.
    killTimer ??= setTimeout(killAll, options.killAfterMs ?? 10_000);
  };
  const forceAll = (): void => {
    failed = true;
    killAll();
  };
  options.signal?.addEventListener('abort', stopAll);
  options.force?.addEventListener('abort', forceAll);
  // Aborted before the run: nothing starts.
  if (options.signal?.aborted === true || options.force?.aborted === true) failed = true;

  const runStep = (lane: Lane, step: Step): Promise<StepResult> =>
    new Promise((resolve) => {
      const started = now();
      const label = `${lane.name} › ${step.name}`;
      if (lane.live) write(`\n▶ ${label}: ${[step.command, ...step.args].join(' ')}\n`);
      const child = spawn(step.command, [...step.args], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.add(child);
      if (child.pid !== undefined) groups.add(child.pid);
      // Started after a stop: stop it too.
      if (failed && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      const kept: Buffer[] = [];
      const take = (chunk: Buffer): void => {
        if (lane.live) write(chunk.toString('utf8'));
        else kept.push(chunk);
      };
      child.stdout?.on('data', take);
      child.stderr?.on('data', take);
      let ended = false;
      const finish = (exit: number | NodeJS.Signals, error?: Error): void => {
        if (ended) return; // a spawn error may be followed by 'close'
        ended = true;
        running.delete(child);
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, 0);
          } catch {
            groups.delete(child.pid); // empty: nothing of the step is left
          }
        }
        const seconds = (now() - started) / 1000;
        const outcome = exit === 0 ? 'passed' : failed ? 'stopped' : 'failed';
        const text = Buffer.concat(kept).toString('utf8') + (error ? `${error.message}\n` : '');
        const header = `${outcome === 'passed' ? '✔' : '✘'} ${label}: ${outcome} in ${seconds.toFixed(1)} s${exit === 0 ? '' : ` (exit ${exit})`}\n`;
        write(lane.live ? header : `\n${header}${text}${text === '' || text.endsWith('\n') ? '' : '\n'}`);
        if (outcome === 'failed') stopAll();
        resolve({ lane: lane.name, step: step.name, outcome, exit, seconds });
      };
      child.once('error', (error) => finish(127, error));
      child.once('close', (code, signal) => finish(code ?? signal ?? 1));
      // A process the step started may keep its output open after the step's own process exited.
      child.once('exit', (code, signal) => {
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish(code ?? signal ?? 1);
        }, options.drainMs ?? 2_000).unref();
      });
    });

  const runLane = async (lane: Lane): Promise<StepResult[]> => {
    const results: StepResult[] = [];
    for (const step of lane.steps) {
      if (failed) results.push({ lane: lane.name, step: step.name, outcome: 'skipped' });
      else results.push(await runStep(lane, step));
    }
    return results;
  };

  try {
    return (await Promise.all(lanes.map(runLane))).flat();
  } finally {
    options.signal?.removeEventListener('abort', stopAll);
    options.force?.removeEventListener('abort', forceAll);
    // Nothing a step started outlives the run.
    killAll();
  }
}

/** A summary table of the results, one line per step. */
export function formatSummary(results: readonly StepResult[]): string {
  const width = Math.max(...results.map((r) => `${r.lane} › ${r.step}`.length));
  return results
    .map(
      (r) =>
        `  ${`${r.lane} › ${r.step}`.padEnd(width)}  ${r.outcome.padEnd(7)}${r.seconds === undefined ? '' : ` ${r.seconds.toFixed(1).padStart(7)} s`}`,
    )
    .join('\n');
}
