/**
 * `npm run ops -- <command> [--stage NAME]`: the runbook's commands (docs/operations.md), against
 * a deployed stage with `--stage` (CloudFormation outputs, your AWS credentials) or else against
 * the running local runtime (`.local/endpoints.json`).
 *
 * - `redrive --consumer realtime|windows [--apply] [--max N]`
 * - `replay-quarantine --date YYYY-MM-DD [--apply]`
 * - `reshard --shards N [--apply]`
 * - `status [--json]`
 *
 * Every command that changes something is a dry run unless `--apply` is given.
 */
import * as path from 'path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { STAGE_NAMES, stageConfig } from '../lib/config/stage-config';
import { runCommandLine } from './command-line';
import { redrive } from './ops/redrive';
import { replayQuarantine } from './ops/replay';
import { reshard } from './ops/reshard';
import { formatStatus, stageStatus } from './ops/status';
import { awsTarget, CONSUMERS, localTarget, OpsError, type ConsumerName, type OpsTarget } from './ops/target';

const ROOT = path.join(__dirname, '..');

interface TargetOptions {
  readonly stage?: string;
  readonly localDir: string;
  readonly cdkOut: string;
}

const whole = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
  return n;
};

const day = (value: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw new InvalidArgumentError('must be a day written YYYY-MM-DD');
  return value;
};

/** The target of the options: `--stage` → AWS, else the local runtime. */
async function targetOf(options: TargetOptions): Promise<OpsTarget> {
  if (options.stage !== undefined) {
    if (!(STAGE_NAMES as readonly string[]).includes(options.stage))
      throw new OpsError(`unknown stage "${options.stage}"; valid stages: ${STAGE_NAMES.join(', ')}`);
    return awsTarget(options.stage);
  }
  return localTarget({ localDir: path.resolve(ROOT, options.localDir), cdkOut: path.resolve(ROOT, options.cdkOut) }, (line) =>
    process.stderr.write(`${line}\n`),
  );
}

/** Runs `act` on the target of `options` and closes it. */
async function withTarget(options: TargetOptions, act: (target: OpsTarget) => Promise<void>): Promise<void> {
  const target = await targetOf(options);
  try {
    await act(target);
  } finally {
    await target.close();
  }
}

const print = (line: string) => process.stdout.write(`${line}\n`);

/** Adds the options every command takes. */
function withTargetOptions(command: Command): Command {
  return command
    .addOption(new Option('--stage <name>', 'a deployed stage (your AWS credentials and region); default: the local runtime'))
    .option('--local-dir <dir>', "npm start's --local-dir (where its endpoints.json is)", '.local')
    .option('--cdk-out <dir>', "npm start's --cdk-out (the assembly it runs)", 'cdk.out');
}

/** Parses the command line and runs it; resolves with the exit code, rejects with OpsError for a problem the operator can fix. */
async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('ops').description('Operate a stage: the runbook commands (docs/operations.md)').showHelpAfterError();

  withTargetOptions(
    program
      .command('redrive')
      .description('hand the batches a consumer gave up on (its dead-letter queue) back to it; a dry run unless --apply')
      .addOption(new Option('--consumer <name>', 'which consumer').choices([...CONSUMERS]).makeOptionMandatory())
      .option('--apply', 'redrive and delete the dead letters (default: only list them)', false)
      .option('--max <n>', 'most dead letters in one run', whole(1, 10_000), 100),
  ).action(async (opts: TargetOptions & { consumer: ConsumerName; apply: boolean; max: number }) =>
    withTarget(opts, async (target) => {
      const windowSeconds = stageConfig(target.stage).analytics.window.toSeconds();
      const lines = await redrive(target, { consumer: opts.consumer, apply: opts.apply, max: opts.max, windowSeconds });
      print(
        `${opts.consumer} dead letters (${target.stage}, ${target.where}): ${lines.length}${opts.apply ? '' : ' (dry run: --apply to redrive)'}`,
      );
      for (const l of lines) {
        print(
          `  ${l.outcome.padEnd(20)} ${l.shardId} ${l.startSequenceNumber}..${l.endSequenceNumber} (${l.found}/${l.batchSize} records, ${l.condition})${l.detail ? `: ${l.detail}` : ''}`,
        );
      }
      if (lines.some((l) => l.outcome === 'failed')) process.exitCode = 1;
    }),
  );

  withTargetOptions(
    program
      .command('replay-quarantine')
      .description('after a fix, put the quarantined records of an arrival day back into the stream, each once; a dry run unless --apply')
      .requiredOption('--date <day>', 'arrival day of the records (UTC), YYYY-MM-DD', day)
      .option('--apply', 'replay them (default: only list them)', false),
  ).action(async (opts: TargetOptions & { date: string; apply: boolean }) =>
    withTarget(opts, async (target) => {
      const lines = await replayQuarantine(target, { date: opts.date, apply: opts.apply });
      print(
        `quarantined records of ${opts.date} (${target.stage}, ${target.where}): ${lines.length}${opts.apply ? '' : ' (dry run: --apply to replay)'}`,
      );
      for (const l of lines) {
        print(`  ${l.outcome.padEnd(22)} ${l.shardId} ${l.sequenceNumber} [${l.consumer}] ${l.reason}${l.detail ? ` (${l.detail})` : ''}`);
      }
      if (lines.some((l) => l.outcome === 'failed')) process.exitCode = 1;
    }),
  );

  withTargetOptions(
    program
      .command('reshard')
      .description('change the open shard count of a provisioned stream; a dry run unless --apply')
      .requiredOption('--shards <n>', 'open shards wanted', whole(1, 10_000))
      .option('--apply', 'split or merge shards (default: only show the plan)', false),
  ).action(async (opts: TargetOptions & { shards: number; apply: boolean }) =>
    withTarget(opts, async (target) => {
      const report = await reshard(target, { shards: opts.shards, apply: opts.apply });
      print(
        `stream ${target.resources.streamName} (${target.stage}, ${target.where}): ${report.from} → ${report.to} open shards${report.applied ? '' : ' (dry run: --apply to reshard)'}`,
      );
      for (const s of report.steps) {
        print(
          s.kind === 'split'
            ? `  split ${s.shardId} at hash key ${s.newStartingHashKey}`
            : `  merge ${s.shardId} with ${s.adjacentShardId}`,
        );
      }
      if (report.applied && target.where !== 'local')
        print(
          `  the stack still declares the old count: set the stage's shard count in lib/config/stage-config.ts to ${report.to} before the next deploy, or it sets it back`,
        );
    }),
  );

  withTargetOptions(
    program
      .command('status')
      .description('iterator ages, dead-letter depths, the newest lake object and the newest alert')
      .option('--json', 'print JSON', false),
  ).action(async (opts: TargetOptions & { json: boolean }) =>
    withTarget(opts, async (target) => {
      const status = await stageStatus(target);
      if (opts.json) print(JSON.stringify(status));
      else for (const line of formatStatus(status)) print(line);
    }),
  );

  await program.parseAsync([...argv], { from: 'user' });
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

runCommandLine('ops', () => main(process.argv.slice(2)), [OpsError]);
