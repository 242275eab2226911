import * as fs from 'fs';
import { formatSummary, runLanes, type Step } from '../../../scripts/lanes';

/** A step running a line of JavaScript in a fresh node. */
const node = (name: string, code: string): Step => ({ name, command: process.execPath, args: ['-e', code] });
const LONG = 'setTimeout(() => {}, 30_000)';

/** True once `pid` has ended: no such process, or a zombie waiting to be reaped (Linux `/proc`). */
function ended(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Waits up to `ms` for `pid` to end; resolves whether it did. */
async function endsWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ended(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('runLanes', () => {
  it('runs each lane in order and the lanes at once; passes when every step exits 0', async () => {
    // prepare
    const out: string[] = [];
    const span = (name: string) => `console.log("${name} from", Date.now()); setTimeout(() => console.log("${name} to", Date.now()), 1000)`;

    // act
    const results = await runLanes(
      [
        { name: 'a', steps: [node('a1', span('a1')), node('a2', 'console.log("a2 done")')] },
        { name: 'b', live: true, steps: [node('b1', span('b1'))] },
      ],
      { cwd: process.cwd(), write: (t) => out.push(t) },
    );

    // assess
    expect(results.map((r) => [r.lane, r.step, r.outcome, r.exit])).toEqual([
      ['a', 'a1', 'passed', 0],
      ['a', 'a2', 'passed', 0],
      ['b', 'b1', 'passed', 0],
    ]);
    const text = out.join('');
    const at = (what: string) => Number(new RegExp(`${what} (\\d+)`).exec(text)?.[1]);
    // Side by side: each lane's first step started before the other's ended.
    expect(at('b1 from')).toBeLessThan(at('a1 to'));
    expect(at('a1 from')).toBeLessThan(at('b1 to'));
    expect(text.indexOf('a1 to')).toBeLessThan(text.indexOf('a2 done'));
    // A kept lane's output follows its step's header in one piece.
    expect(text).toMatch(/✔ a › a2: passed in \d+\.\d s\na2 done\n/);
    expect(text).toContain('▶ b › b1: ');
    expect(formatSummary(results)).toMatch(/a › a1 +passed +\d+\.\d s\n/);
  });

  it('stops the other lane at the first failure, skips every later step, and keeps the failed step output', async () => {
    // prepare
    const out: string[] = [];
    const started = Date.now();

    // act
    const results = await runLanes(
      [
        { name: 'fails', steps: [node('bad', 'console.error("broken: x"); process.exit(3)'), node('never', 'console.log("ran")')] },
        { name: 'long', steps: [node('slow', LONG), node('after', 'console.log("ran")')] },
      ],
      { cwd: process.cwd(), write: (t) => out.push(t) },
    );

    // assess
    expect(results.map((r) => [r.step, r.outcome, r.exit])).toEqual([
      ['bad', 'failed', 3],
      ['never', 'skipped', undefined],
      ['slow', 'stopped', 'SIGTERM'],
      ['after', 'skipped', undefined],
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(out.join('')).toMatch(/✘ fails › bad: failed in \d+\.\d s \(exit 3\)\nbroken: x\n/);
    expect(out.join('')).not.toContain('ran');
  });

  it('stops everything when aborted (Ctrl-C), and reports a command that cannot start as failed', async () => {
    // prepare
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);

    // act
    const aborted = await runLanes([{ name: 'x', steps: [node('slow', LONG)] }], {
      cwd: process.cwd(),
      write: () => undefined,
      signal: abort.signal,
    });
    const missing = await runLanes([{ name: 'y', steps: [{ name: 'nope', command: '/nonexistent/tool', args: [] }] }], {
      cwd: process.cwd(),
      write: () => undefined,
    });

    // assess
    expect(aborted.map((r) => [r.step, r.outcome])).toEqual([['slow', 'stopped']]);
    expect(missing.map((r) => [r.step, r.outcome])).toEqual([['nope', 'failed']]);
  });

  it('kills a step that ignores SIGTERM after killAfterMs, and at once on a second abort (force)', async () => {
    // prepare: a step that ignores SIGTERM and prints its pid
    const stubborn = node('stubborn', 'process.on("SIGTERM", () => {}); console.log("pid", process.pid); setInterval(() => {}, 1000)');
    const pids: number[] = [];
    const collect = (t: string): void => {
      for (const m of t.matchAll(/pid (\d+)/g)) pids.push(Number(m[1]));
    };
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 500);
    const stop2 = new AbortController();
    const force = new AbortController();

    // act
    const started = Date.now();
    const timed = await runLanes([{ name: 'x', live: true, steps: [stubborn] }], {
      cwd: process.cwd(),
      write: collect,
      signal: stop.signal,
      killAfterMs: 700,
    });
    const timedMs = Date.now() - started;
    const forcedAt = Date.now();
    setTimeout(() => stop2.abort(), 500);
    setTimeout(() => force.abort(), 800);
    const forced = await runLanes([{ name: 'y', live: true, steps: [stubborn] }], {
      cwd: process.cwd(),
      write: collect,
      signal: stop2.signal,
      force: force.signal,
      killAfterMs: 60_000,
    });
    const forcedMs = Date.now() - forcedAt;

    // assess
    expect(timed.map((r) => [r.outcome, r.exit])).toEqual([['stopped', 'SIGKILL']]);
    expect(timedMs).toBeLessThan(5_000);
    expect(forced.map((r) => [r.outcome, r.exit])).toEqual([['stopped', 'SIGKILL']]);
    expect(forcedMs).toBeLessThan(5_000);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(await endsWithin(pid, 3_000)).toBe(true);
  });

  it('ends a step whose process exited while a process it started keeps the output open, and kills that process at the end', async () => {
    // prepare: the step starts a detached-from-nothing grandchild that inherits stdout, prints its pid, and exits 0
    const code = [
      'const { spawn } = require("child_process");',
      'const c = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: ["ignore", "inherit", "inherit"] });',
      'console.log("grandchild", c.pid);',
      'c.unref();',
      'process.exit(0);',
    ].join(' ');
    const out: string[] = [];

    // act
    const started = Date.now();
    const results = await runLanes([{ name: 'z', live: true, steps: [node('leaves-one', code)] }], {
      cwd: process.cwd(),
      write: (t) => out.push(t),
      drainMs: 300,
    });

    // assess
    expect(results.map((r) => [r.outcome, r.exit])).toEqual([['passed', 0]]);
    expect(Date.now() - started).toBeLessThan(5_000);
    const pid = Number(/grandchild (\d+)/.exec(out.join(''))?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(await endsWithin(pid, 3_000)).toBe(true);
  });
});
