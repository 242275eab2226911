import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { MAX_HISTORY_DAYS } from './history';
import { INVALID_KIND_NAMES } from './invalid';
import { SCENARIO_NAMES } from './scenarios';
import { DEFAULT_TIME_ZONE, isValidTimeZone, parseEventTime } from './time';

/** Validated command-line options of `npm run produce`. */
export interface ProduceOptions {
  readonly scenario: string;
  readonly rate: number;
  /** Exactly one of count and durationS is set (duration 60 s when neither is given). */
  readonly count?: number;
  readonly durationS?: number;
  readonly batch: number;
  readonly endpoint?: string;
  readonly apiKey?: string;
  readonly stage?: string;
  readonly region?: string;
  readonly seed?: number;
  /** Pinned clock start (epoch ms) from `--start-time`. */
  readonly startTimeMs?: number;
  /** `--days`: spread the run over this many days of event time, ending now (needs count). */
  readonly days?: number;
  readonly timeZone: string;
  readonly truth?: string;
  readonly invalidRatio: number;
  readonly concurrency: number;
  readonly maxRetries: number;
  readonly quiet: boolean;
  readonly dryRun: boolean;
  /** Page views carry `step` and `prevPath` (`--no-steps` turns it off). @default true */
  readonly steps?: boolean;
}

/** Default run length when neither --count nor --duration is given. */
export const DEFAULT_DURATION_S = 60;
/**
 * Default rate of a `--days` run (events/s): with full batches, 5 requests/s, well inside the dev
 * stage's 50 requests/s throttle, so 50,000 events of history take about 20 s.
 */
export const HISTORY_RATE = 2500;

/** Largest batch the API takes (docs/ingest-api.md). */
export const MAX_BATCH = 500;

/** The command line could not be used (or help was shown): print `message`, exit with `exitCode`. */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

function integer(value: string, what: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`must be ${what}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be ${what}`);
  return n;
}

const positiveInt = (value: string): number => integer(value, 'a positive integer', 1, Number.MAX_SAFE_INTEGER);

function scenarioName(value: string): string {
  if (!SCENARIO_NAMES.includes(value)) {
    throw new InvalidArgumentError(`unknown scenario "${value}"; valid scenarios: ${SCENARIO_NAMES.join(', ')}`);
  }
  return value;
}

function batchSize(value: string): number {
  return integer(value, `an integer from 1 to ${MAX_BATCH}`, 1, MAX_BATCH);
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}

function ratio(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number from 0 to 1');
  return n;
}

function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('must be an http(s) URL');
  return value;
}

function stageName(value: string): string {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(value)) throw new InvalidArgumentError('must be a stage name such as dev, uat or prod');
  return value;
}

function timeZone(value: string): string {
  if (!isValidTimeZone(value)) throw new InvalidArgumentError('must be an IANA time zone such as Asia/Shanghai or UTC');
  return value;
}

/** The `produce` command definition (options, help, validation of single values). */
export function buildCommand(): Command {
  return new Command()
    .name('produce')
    .description('Generate v1 behaviour events for a scenario and send them to POST /v1/events.')
    .requiredOption('--scenario <name>', `event generator: ${SCENARIO_NAMES.join(', ')}`, scenarioName)
    .option('--rate <events-per-s>', 'new events per second (token bucket)', positiveInt, 10)
    .addOption(
      new Option('--duration <s>', `run for this many seconds (default ${DEFAULT_DURATION_S} when --count is absent)`)
        .argParser(positiveSeconds)
        .conflicts('count'),
    )
    .addOption(new Option('--count <n>', 'send exactly this many events').argParser(positiveInt).conflicts('duration'))
    .option('--batch <n>', `events per request, at most ${MAX_BATCH}`, batchSize, 100)
    .option('--endpoint <url>', 'API base URL (POSTs to <url>/v1/events); needs --api-key', httpUrl)
    .option('--api-key <key>', 'API key value, sent as x-api-key')
    .option('--stage <name>', 'deployed stage: reads ApiUrl from stack uba-<stage>-api (needs --api-key)', stageName)
    .option('--region <region>', 'AWS region for the stack lookup (default: the AWS SDK chain)')
    .option('--seed <n>', 'PRNG seed (0..4294967295): same events, ids and choices every run', (v: string) =>
      integer(v, 'an integer from 0 to 4294967295', 0, 0xffff_ffff),
    )
    .option('--start-time <iso>', 'pin event times: event i is at start + i/rate s (default: wall clock)')
    .addOption(
      new Option(
        '--days <n>',
        `spread the events over n days ending today, with returning users (1..${MAX_HISTORY_DAYS}; needs --count; default rate ${HISTORY_RATE}/s in batches of ${MAX_BATCH})`,
      )
        .argParser((v: string) => integer(v, `an integer from 1 to ${MAX_HISTORY_DAYS}`, 1, MAX_HISTORY_DAYS))
        .conflicts(['startTime', 'duration']),
    )
    .option('--time-zone <zone>', 'zone of local times (recharge-scenario times, offset-less createdAt, days)', timeZone, DEFAULT_TIME_ZONE)
    .option('--truth <file>', 'write the ground truth of accepted events to this JSON file')
    .option('--invalid-ratio <r>', `share of events broken on purpose (${INVALID_KIND_NAMES.join(', ')})`, ratio, 0)
    .option('--concurrency <n>', 'requests in flight at most', (v: string) => integer(v, 'an integer from 1 to 32', 1, 32), 4)
    .option(
      '--max-retries <n>',
      'resends of one event before it counts as failed',
      (v: string) => integer(v, 'an integer from 0 to 20', 0, 20),
      5,
    )
    .option('--quiet', 'no progress bar; a progress line every few seconds', false)
    .option('--dry-run', 'print the events as JSON lines instead of sending them', false)
    .option('--no-steps', 'page views without step and prevPath (as server-side events come), so the consumers sessionize them');
}

interface RawOptions {
  scenario: string;
  rate: number;
  duration?: number;
  count?: number;
  batch: number;
  endpoint?: string;
  apiKey?: string;
  stage?: string;
  region?: string;
  seed?: number;
  startTime?: string;
  days?: number;
  timeZone: string;
  truth?: string;
  invalidRatio: number;
  concurrency: number;
  maxRetries: number;
  quiet: boolean;
  dryRun: boolean;
  steps: boolean;
}

/** Parses and validates user arguments (without node/script); throws CliExit on errors or help. */
export function parseArgs(argv: readonly string[]): ProduceOptions {
  let errorText = '';
  const command = buildCommand()
    .exitOverride()
    .configureOutput({ writeErr: (s) => (errorText += s) });
  try {
    command.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) throw new CliExit('', 0);
      throw new CliExit((errorText || err.message).trim(), 2);
    }
    throw err;
  }
  if (command.args.length > 0) throw new CliExit(`error: unexpected argument '${command.args[0]}'`, 2);
  const o = command.opts<RawOptions>();

  let startTimeMs: number | undefined;
  if (o.startTime !== undefined) {
    startTimeMs = parseEventTime(o.startTime, o.timeZone);
    if (startTimeMs === undefined) {
      throw new CliExit(
        `error: option '--start-time <iso>' argument '${o.startTime}' is invalid. must be an ISO 8601 time such as 2024-05-27T11:40:00+08:00`,
        2,
      );
    }
  }
  if (o.endpoint !== undefined && o.apiKey === undefined && !o.dryRun) {
    throw new CliExit("error: option '--endpoint <url>' needs --api-key <key>", 2);
  }
  if (o.days !== undefined && o.count === undefined) throw new CliExit("error: option '--days <n>' needs --count <n>", 2);
  const durationS = o.count === undefined ? (o.duration ?? DEFAULT_DURATION_S) : undefined;
  // History is made of past events: nothing is gained by trickling it at the live default, so
  // --days sends full batches at HISTORY_RATE unless --rate / --batch say otherwise.
  const history = o.days !== undefined;
  const rate = history && command.getOptionValueSource('rate') === 'default' ? HISTORY_RATE : o.rate;
  const batch = history && command.getOptionValueSource('batch') === 'default' ? MAX_BATCH : o.batch;
  return {
    scenario: o.scenario,
    rate,
    ...(o.count !== undefined ? { count: o.count } : { durationS }),
    batch,
    endpoint: o.endpoint,
    apiKey: o.apiKey,
    stage: o.stage,
    region: o.region,
    seed: o.seed,
    startTimeMs,
    ...(o.days === undefined ? {} : { days: o.days }),
    timeZone: o.timeZone,
    truth: o.truth,
    invalidRatio: o.invalidRatio,
    concurrency: o.concurrency,
    maxRetries: o.maxRetries,
    quiet: o.quiet,
    dryRun: o.dryRun,
    ...(o.steps ? {} : { steps: false }),
  };
}
