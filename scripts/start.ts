/**
 * `npm start [-- --stage dev] [--port 8787] [--no-demo] [--persist DIR]`: runs the synthesized
 * pipeline of one stage on this machine (see docs/local-runtime.md). Thin entry: parse, start,
 * print, wait for Ctrl-C or SIGTERM, stop (a second signal is ignored, a third forces).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, InvalidArgumentError } from 'commander';
import { STAGE_NAMES } from '../lib/config/stage-config';
import { runProducer } from './producer/run';
import { DEFAULT_TIME_ZONE } from './producer/time';
import { LocalRuntime, LocalRuntimeError } from '../local/runtime';
import { PortInUseError } from '../local/services';
import { handleStopSignals } from './stop-signals';
import { BusinessTotals } from './ops/emf';
import { writeRuntimeStatus } from './ops/runtime-status';
import { metricsNamespace } from '../lambdas/shared/metrics';

/** Longest orderly stop; then the rest is killed (a supervisor such as docker kills after 10 s). */
const STOP_DEADLINE_MS = 9_500;

interface StartOptions {
  readonly stage: string;
  readonly port: number;
  readonly demo: boolean;
  readonly persist?: string;
  readonly demoRate: number;
  readonly cdkOut: string;
  readonly localDir: string;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65526)
    throw new InvalidArgumentError('must be a port number from 1 to 65526 (the next nine ports are used too)');
  return n;
}

function parseRate(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be a whole number of events per second, 1..10000');
  return n;
}

function parseOptions(argv: readonly string[]): StartOptions {
  const program = new Command('npm start --')
    .description('Run the whole pipeline of one stage locally: no AWS account needed.')
    .option('--stage <name>', `stage to run (${STAGE_NAMES.join(', ')})`, 'dev')
    .option(
      '--port <port>',
      'port of the API; kinesis, dynamodb, s3, secrets manager, sns, the dashboard, athena, cognito and the ingest load balancer take the next nine',
      parsePort,
      8787,
    )
    .option('--no-demo', 'do not drive demo traffic')
    .option('--demo-rate <events/s>', 'events per second of demo traffic', parseRate, 20)
    .option('--persist <dir>', 'keep data and consumer checkpoints in DIR across restarts')
    .option('--cdk-out <dir>', 'cloud assembly directory (synthesized there unless up to date)', 'cdk.out')
    .option('--local-dir <dir>', 'where endpoints.json, logs and the run data of a start without --persist go', '.local')
    .showHelpAfterError();
  program.parse([...argv], { from: 'user' });
  const o = program.opts<{
    stage: string;
    port: number;
    demo: boolean;
    persist?: string;
    demoRate: number;
    cdkOut: string;
    localDir: string;
  }>();
  if (!(STAGE_NAMES as readonly string[]).includes(o.stage))
    program.error(`error: unknown stage "${o.stage}"; valid stages: ${STAGE_NAMES.join(', ')}`);
  return { stage: o.stage, port: o.port, demo: o.demo, persist: o.persist, demoRate: o.demoRate, cdkOut: o.cdkOut, localDir: o.localDir };
}

/** Drives four demo scenarios (web paths, alert bursts, recharges, Taobao) until `signal` aborts. */
async function driveDemo(
  target: { readonly api: string; readonly ingest?: string; readonly apiKey: string },
  rate: number,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  const quietOut = { write: () => true, isTTY: false };
  // This runtime's API and key, not whatever `.local/endpoints.json` holds (`--local-dir` moves it).
  const base = {
    endpoint: target.ingest ?? target.api,
    apiKey: target.apiKey,
    rate,
    batch: 50,
    timeZone: DEFAULT_TIME_ZONE,
    invalidRatio: 0,
    concurrency: 2,
    maxRetries: 5,
    quiet: true,
    dryRun: false,
    durationS: 365 * 24 * 3600,
  };
  // Something for every chart: paths (web), alerts, recharge KPIs, Taobao distributions.
  const half = Math.max(1, Math.round(rate / 2));
  const runs = [
    runProducer({ ...base, scenario: 'web' }, { stdout: quietOut, signal }),
    runProducer({ ...base, scenario: 'alerts', rate: half }, { stdout: quietOut, signal }),
    runProducer({ ...base, scenario: 'recharge', rate: half }, { stdout: quietOut, signal }),
    runProducer({ ...base, scenario: 'taobao', rate: half }, { stdout: quietOut, signal }),
  ];
  const results = await Promise.allSettled(runs);
  for (const r of results) if (r.status === 'rejected') log(`demo traffic stopped: ${(r.reason as Error).message}`);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const root = path.join(__dirname, '..');
  const started = Date.now();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  // Signals are taken from the very start: a Ctrl-C during start-up stops right after it.
  let runtime: LocalRuntime | undefined;
  const signals = handleStopSignals({
    name: 'npm start',
    onStop: (signal) => log(`${signal}: stopping …`),
    onForce: () => {
      runtime?.kill();
      process.exit(130);
    },
  });
  const localDir = path.resolve(root, options.localDir);
  // Function output goes to a file (it is one JSON line per request); the console gets a status line.
  const logDir = path.join(localDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const functionLogFile = path.join(logDir, 'functions.log');
  const functionLog = fs.createWriteStream(functionLogFile, { flags: 'a' });
  // The business metrics' EMF lines also go to their own file, and add up for the status line.
  const metricsLogFile = path.join(logDir, 'metrics.log');
  const metricsLog = fs.createWriteStream(metricsLogFile, { flags: 'a' });
  const business = new BusinessTotals();
  const namespace = metricsNamespace(options.stage);
  try {
    runtime = await LocalRuntime.start({
      root,
      stage: options.stage,
      port: options.port,
      persistDir: options.persist,
      assemblyDir: path.resolve(root, options.cdkOut),
      localDir,
      log,
      functionLog: (line) => {
        functionLog.write(`${new Date().toISOString()} ${line}\n`);
        if (business.addLine(line, namespace)) metricsLog.write(`${line.slice(line.indexOf('{'))}\n`);
      },
    });
  } catch (error) {
    if (error instanceof LocalRuntimeError || error instanceof PortInUseError) {
      process.stderr.write(`npm start: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const e = runtime.endpoints;
  log('');
  log(
    `local pipeline of stage ${options.stage} is up in ${((Date.now() - started) / 1000).toFixed(1)} s${options.persist ? `, data kept in ${options.persist}` : ''}`,
  );
  log(`  dashboard  ${e.dashboard}/`);
  log(`  API        ${e.api}`);
  if (e.ingest) log(`  ingest     ${e.ingest}   (the load balancer front door, plain HTTP locally)`);
  for (const [producer, key] of Object.entries(e.apiKeys))
    log(`    ingest (POST ${e.ingest ?? ''}/v1/events, /v1/paths) as producer ${producer}: header x-api-key: ${key}`);
  log(`    read (GET /v1/alerts, /v1/metrics, …): header Authorization: <ID token>, e.g. $(npm run -s token -- --role analyst)`);
  log(`  Cognito    ${e.cognito.endpoint}   (user pool ${e.cognito.userPoolId}; npm run users -- list)`);
  log('  demo users (sign in on the dashboard, or npm run -s token -- --role ROLE):');
  for (const user of e.users) log(`    ${user.role.padEnd(9)} ${user.email.padEnd(22)} password ${user.password}`);
  log(`  Kinesis    ${e.kinesis}`);
  log(`  DynamoDB   ${e.dynamodb}`);
  log(`  S3         ${e.s3}   (credentials S3RVER / S3RVER)`);
  log(`  Athena     ${e.athena}   (DuckDB over the lake; npm run report -- run | <report>)`);
  log(`  endpoints  ${path.relative(root, path.join(localDir, 'endpoints.json'))}`);
  log(
    `  logs       ${path.relative(root, functionLogFile)} (Lambda output), ${path.relative(root, metricsLogFile)} (business metrics, EMF)`,
  );
  const lake = Object.values(e.outputs).find((o) => o.LakeBucketName)?.LakeBucketName;
  if (lake) log(`  lake       aws --endpoint-url ${e.s3} s3 ls --recursive s3://${lake}/raw/`);
  if (runtime.unsupported.length > 0) {
    log('not stood in for locally:');
    for (const line of runtime.unsupported) log(`  ${line}`);
  }

  const stopDemo = new AbortController();
  const demo = options.demo && !signals.requested ? driveDemo(e, options.demoRate, stopDemo.signal, log) : Promise.resolve();
  if (options.demo)
    log(
      `demo traffic: ~${options.demoRate} web + ~${Math.round(options.demoRate / 2)} each of alert, recharge and taobao events/s (--no-demo to turn off)`,
    );
  log('Ctrl-C stops everything.');
  const running = runtime;
  const status = setInterval(() => {
    // For `npm run ops -- status`: the consumers' shard positions, as their IteratorAge metric gives them on AWS.
    writeRuntimeStatus(running, localDir).catch((error: unknown) => log(`runtime status not written: ${(error as Error).message}`));
    const s = running.stats();
    log(
      `${new Date().toISOString().slice(11, 19)}  api: ${s.requests} requests, ${s.eventsAccepted} events accepted, ${s.eventsRejected} rejected` +
        `  |  lake: ${s.lakeRecords} events in ${s.lakeObjects} objects, ${s.lakeBuffered} buffered` +
        (running.mappings.length > 0 ? `  |  consumers: ${s.consumerInvocations} invocations` : '') +
        `  |  metrics: ${business.summary()}`,
    );
  }, 5000);

  await signals.stopRequested;
  clearInterval(status);
  const stopping = Date.now();
  // A supervisor (docker, systemd) kills after 10 s: past the deadline, kill what is left and say so.
  const deadline = setTimeout(() => {
    process.stderr.write(
      `npm start: the stop is taking longer than ${STOP_DEADLINE_MS / 1000} s; killing what is left (work in flight is lost)\n`,
    );
    running.kill();
    process.exit(1);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  stopDemo.abort();
  await demo;
  await running.stop();
  clearTimeout(deadline);
  await new Promise<void>((resolve) => functionLog.end(resolve));
  await new Promise<void>((resolve) => metricsLog.end(resolve));
  const still = await running.listeningPorts();
  if (still.length > 0) {
    process.stderr.write(`npm start: stopped, but still listening: ${still.map((p) => `${p.service} on ${p.port}`).join(', ')}\n`);
    return 1;
  }
  const s = running.stats();
  log(
    `lake: ${s.lakeRecords} events in ${s.lakeObjects} objects, ${s.lakeBuffered} buffered; stop took ${((Date.now() - stopping) / 1000).toFixed(1)} s`,
  );
  log('stopped; nothing left listening.');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
