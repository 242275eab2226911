/**
 * `npm run cost -- [--stage S] [--workload NAME | --rps N --events-per-request K --event-bytes B] [--format json]`:
 * the monthly AWS bill of a stage at a workload, from the stage's synthesized templates (synthesized
 * into `cdk.out.<stage>` first unless up to date; offline), the price table and the measured
 * figures in `scripts/cost/` (see docs/cost.md). Without a workload it prices the four built-in ones;
 * `--levers` prices each lever of docs/cost.md instead (a markdown table).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { STAGE_NAMES, stageConfig } from '../lib/config/stage-config';
import { ensureSynth } from '../local/synth';
import { loadCloudAssembly } from '../local/template/assembly';
import { summary, toJson, toText } from './cost/format';
import { Inputs, loadInputs } from './cost/inputs';
import { measureLevers } from './cost/levers';
import { estimate, type Workload } from './cost/model';
import { readDeployment } from './cost/template';
import { customWorkload, WORKLOADS, workloadNamed } from './cost/workloads';

interface CostOptions {
  readonly stage: string;
  readonly workloads: readonly Workload[];
  readonly format: 'table' | 'json';
  /** Price the levers of docs/cost.md instead of the stage as configured. */
  readonly levers: boolean;
}

const positive = (what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be ${what}`);
  return n;
};

/** Parses the command line; throws CommanderError (with its message) for bad or missing options. */
export function parseCostArgs(argv: readonly string[]): CostOptions {
  const program = new Command('npm run cost --')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: (s) => process.stdout.write(s) })
    .addOption(new Option('--stage <name>', 'stage whose templates are priced').choices(STAGE_NAMES).default('prod'))
    .addOption(new Option('--workload <name>', 'a built-in workload').choices(WORKLOADS.map((w) => w.name)).conflicts(['rps']))
    .option('--rps <n>', 'requests per second', positive('a number above 0'))
    .option('--events-per-request <k>', 'events per request (with --rps)', positive('a number above 0'))
    .option('--event-bytes <b>', 'bytes of one event as sent (with --rps)', positive('a number above 0'))
    .addOption(new Option('--format <format>', 'output').choices(['table', 'json']).default('table'))
    .option('--levers', 'price each lever of docs/cost.md (a change to the stage entry or to batching) instead', false);
  program.parse(['node', 'cost', ...argv]);
  const o = program.opts<{
    stage: string;
    workload?: string;
    rps?: number;
    eventsPerRequest?: number;
    eventBytes?: number;
    format: 'table' | 'json';
    levers: boolean;
  }>();
  if (o.rps === undefined && (o.eventsPerRequest !== undefined || o.eventBytes !== undefined)) {
    throw new CommanderError(2, 'cost.args', 'error: --events-per-request and --event-bytes need --rps');
  }
  let workloads: readonly Workload[] = WORKLOADS;
  if (o.workload !== undefined) workloads = [workloadNamed(o.workload) as Workload];
  if (o.rps !== undefined) workloads = [customWorkload(o.rps, o.eventsPerRequest ?? 10, o.eventBytes ?? 250)];
  return { stage: o.stage, workloads, format: o.format, levers: o.levers };
}

async function main(argv: readonly string[]): Promise<number> {
  let options: CostOptions;
  try {
    options = parseCostArgs(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode !== 0) process.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
  const root = path.join(__dirname, '..');
  if (options.levers) {
    const { prices, measured } = loadInputs();
    const cdkJson = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    const rows = measureLevers(stageConfig(options.stage), options.workloads, new Inputs(prices, measured), cdkJson.context);
    process.stdout.write(`| lever (${options.stage}) | ${options.workloads.map((w) => w.name).join(' | ')} |\n`);
    process.stdout.write(`|---|${options.workloads.map(() => '---:').join('|')}|\n`);
    for (const r of rows)
      process.stdout.write(`| ${r.lever} | ${r.totals.map((t) => `$${Math.round(t).toLocaleString('en-US')}`).join(' | ')} |\n`);
    return 0;
  }
  const outdir = path.join(root, `cdk.out.${options.stage}`);
  await ensureSynth(root, outdir, options.stage, (line) => process.stderr.write(`${line}\n`));
  const deployment = readDeployment(loadCloudAssembly(outdir).stacks);
  const { prices, measured } = loadInputs();
  const inputs = new Inputs(prices, measured);
  const estimates = options.workloads.map((w) => estimate(deployment, w, inputs));
  if (options.format === 'json') {
    process.stdout.write(`${JSON.stringify(toJson(estimates), null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`Monthly cost of stage ${options.stage} (us-east-1 list prices, ${prices.hoursPerMonth} h; see docs/cost.md)\n\n`);
  for (const e of estimates) process.stdout.write(`${toText(e, deployment.stage)}\n\n`);
  if (estimates.length > 1) process.stdout.write(`${summary(estimates)}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`cost failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
