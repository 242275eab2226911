/**
 * `npm test`: every check CI runs, on two lanes at once (one per core of the CI machine):
 *   checks: type-check, lint, format check, then jest on everything but `test/e2e`;
 *   e2e:    synth of every stage (the end-to-end tests run dev, uat and prod locally from
 *           `cdk.out.<stage>`), then jest on `test/e2e`, one suite at a time (they start the
 *           local runtime and time it).
 * The e2e lane writes its output as it comes; the checks lane's output is printed when each
 * step ends. The first failure stops the other lane; the exit code is then 1.
 */
import * as path from 'path';
import { formatSummary, runLanes, type Lane } from './lanes';

const root = path.join(__dirname, '..');
const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);
const npmRun = (script: string, ...args: string[]) => ({
  name: [script, ...args].join(' '),
  command: 'npm',
  args: ['run', '--silent', script, ...(args.length > 0 ? ['--', ...args] : [])],
});

async function main(): Promise<number> {
  const lanes: Lane[] = [
    {
      name: 'checks',
      steps: [
        npmRun('typecheck'),
        npmRun('lint'),
        npmRun('format:check'),
        {
          name: 'jest (unit, infrastructure)',
          command: bin('jest'),
          args: ['--maxWorkers=1', '--testPathIgnorePatterns', '/test/e2e/'],
        },
      ],
    },
    {
      name: 'e2e',
      live: true,
      steps: [npmRun('synth:all'), { name: 'jest (e2e)', command: bin('jest'), args: ['--maxWorkers=1', 'test/e2e/'] }],
    },
  ];
  // The first SIGINT or SIGTERM stops every step (SIGTERM to its process group, SIGKILL 10 s later);
  // a second one kills them at once. The exit code then says which signal ended the run.
  const stop = new AbortController();
  const force = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (stoppedBy === undefined) {
        stoppedBy = signal;
        stop.abort();
      } else force.abort();
    });
  const started = Date.now();
  const results = await runLanes(lanes, { cwd: root, signal: stop.signal, force: force.signal });
  const ok = stoppedBy === undefined && results.every((r) => r.outcome === 'passed');
  process.stdout.write(
    `\nnpm test: ${ok ? 'passed' : stoppedBy !== undefined ? `stopped (${stoppedBy})` : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n${formatSummary(results)}\n`,
  );
  if (stoppedBy !== undefined) return 128 + (stoppedBy === 'SIGINT' ? 2 : 15);
  return ok ? 0 : 1;
}

void main().then((code) => {
  process.exitCode = code;
});
