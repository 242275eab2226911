/**
 * `npm run produce -- --scenario NAME …`: generates v1 events for a scenario and sends them to
 * the ingest API (see docs/producer.md). Thin entry: parse, run, exit.
 */
import { CliExit, parseArgs, type ProduceOptions } from './producer/cli';
import { TargetError } from './producer/endpoints';
import { runProducer } from './producer/run';
import { handleStopSignals } from './stop-signals';

/** Parses the command line, runs the producer and returns the process exit code. */
async function main(argv: readonly string[]): Promise<number> {
  let options: ProduceOptions;
  try {
    options = parseArgs(argv);
  } catch (err) {
    if (err instanceof CliExit) {
      if (err.message !== '') process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }

  // First Ctrl-C (or SIGTERM): stop producing, deliver what was taken, print the summary and
  // write the truth. A second is ignored (one Ctrl-C often arrives twice); a third quits now.
  const stop = new AbortController();
  handleStopSignals({
    name: 'produce',
    onStop: () => {
      process.stderr.write('\nstopping: finishing the events already taken (Ctrl-C twice more to quit now)\n');
      stop.abort();
    },
    onForce: () => process.exit(130),
  });

  try {
    const result = await runProducer(options, { stdout: process.stdout, signal: stop.signal });
    return result.exitCode;
  } catch (err) {
    if (err instanceof TargetError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`produce failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
