/**
 * `npm run report -- run [--date D | --from D --to D] [--stage NAME]`: runs the daily reports job
 * for arrival days (locally: the job's bundled Lambda against the running `npm start`, by default
 * for today so far; with `--stage`: the same job code against the deployed stage, by default for
 * yesterday).
 *
 * `npm run report -- <name> [--from D] [--to D] [--format json|csv] [--stage NAME]`: prints one
 * report computed now by its SQL (locally DuckDB through the local Athena; Athena with `--stage`).
 * See docs/reports.md.
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomUUID } from 'crypto';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DateTime } from 'luxon';
import { stageConfig } from '../lib/config/stage-config';
import { AthenaQueryRunner } from '../lambdas/reports/athena';
import { reportRows } from '../lambdas/reports/exports';
import { arrivalDaysOf, JobInputError, runDailyJob } from '../lambdas/reports/job';
import { callsFor, daysBetween, isDay } from '../lambdas/reports/plan';
import { S3LakeStore } from '../lambdas/reports/store';
import { answerCsv } from '../lambdas/query/reports';
import { isReportName, REPORT_COLUMNS, REPORT_NAMES, type ReportAnswer, type ReportRow } from '../lambdas/shared/reports';
import type { LocalEndpoints } from '../local/runtime';
import { localClientConfig } from '../local/services/clients';
import { runCommandLine } from './command-line';
import { localFunctionOf } from './local-functions';
import { describeStackOutputsWithSdk } from './producer/endpoints';

const ROOT = path.join(__dirname, '..');

/** Where a local `npm start` keeps its files: the same `--local-dir` and `--cdk-out` it was started with. */
interface LocalPlaces {
  readonly localDir: string;
  readonly cdkOut: string;
}

/** A problem the user can fix; printed without a stack trace. */
class ReportCliError extends Error {}

const day = (value: string): string => {
  if (!isDay(value)) throw new InvalidArgumentError('must be a day written YYYY-MM-DD');
  return value;
};

/** The running local runtime's endpoints; throws ReportCliError when it is not running. */
function localEndpoints(places: Pick<LocalPlaces, 'localDir'>): LocalEndpoints {
  const endpointsFile = path.join(path.resolve(ROOT, places.localDir), 'endpoints.json');
  if (!fs.existsSync(endpointsFile))
    throw new ReportCliError(
      `${path.relative(process.cwd(), endpointsFile)} not found: start the local runtime (npm start), or pass --stage NAME for a deployed stage`,
    );
  const endpoints = JSON.parse(fs.readFileSync(endpointsFile, 'utf8')) as LocalEndpoints;
  if (typeof endpoints.athena !== 'string')
    throw new ReportCliError('the local runtime has no Athena endpoint: restart it (npm start) with this version');
  return endpoints;
}

/** The outputs of the stage's reports and data stacks (local: from endpoints.json; AWS: CloudFormation). */
async function stackOutputs(
  stage: string,
  local: LocalEndpoints | undefined,
): Promise<{ reports: Readonly<Record<string, string>>; data: Readonly<Record<string, string>> }> {
  const names = { reports: `uba-${stage}-reports`, data: `uba-${stage}-data` };
  if (local) {
    const reports = local.outputs[names.reports];
    const data = local.outputs[names.data];
    if (!reports || !data)
      throw new ReportCliError(`the local runtime has no ${names.reports} stack: restart it (npm start) with this version`);
    return { reports, data };
  }
  return {
    reports: await describeStackOutputsWithSdk(names.reports, undefined),
    data: await describeStackOutputsWithSdk(names.data, undefined),
  };
}

/** The runner of the stage's named queries: against the local Athena, or Athena itself with `--stage`. */
function queryRunner(
  outputs: Readonly<Record<string, string>>,
  local: LocalEndpoints | undefined,
): { runner: AthenaQueryRunner; close: () => void } {
  const client = new AthenaClient(local ? localClientConfig(local.athena) : {});
  const need = (key: string) => {
    const value = outputs[key];
    if (value === undefined) throw new ReportCliError(`the reports stack has no ${key} output`);
    return value;
  };
  return {
    runner: new AthenaQueryRunner({
      client,
      namedQueries: JSON.parse(need('NamedQueryIds')) as Record<string, string>,
      database: need('GlueDatabaseName'),
      workGroup: need('AthenaWorkGroupName'),
    }),
    close: () => client.destroy(),
  };
}

interface RunOptions extends LocalPlaces {
  readonly date?: string;
  readonly from?: string;
  readonly to?: string;
  readonly stage?: string;
}

/** `report run`: the daily job for arrival days. */
async function runJob(options: RunOptions): Promise<void> {
  const input =
    options.date !== undefined
      ? { date: options.date }
      : options.from !== undefined || options.to !== undefined
        ? { from: options.from, to: options.to }
        : undefined;
  if (options.stage === undefined) {
    const endpoints = localEndpoints(options);
    const config = stageConfig(endpoints.stage);
    // Locally the default is today so far: the events just produced arrived today.
    const today = DateTime.now().setZone(config.timeZone).toISODate() ?? '';
    const { reports } = await stackOutputs(endpoints.stage, endpoints);
    const fn = localFunctionOf(path.resolve(ROOT, options.cdkOut), reports.ReportsJobName ?? '', endpoints, (line) =>
      process.stderr.write(`${line}\n`),
    );
    if (fn === undefined)
      throw new ReportCliError(
        `the reports job ${reports.ReportsJobName ?? '?'} is not in cdk.out: restart npm start so that it synthesizes this version`,
      );
    try {
      const result = await fn.invoke(input ?? { date: today });
      if (!result.ok) throw new ReportCliError(`the reports job failed: ${result.error.errorType}: ${result.error.errorMessage}`);
      process.stdout.write(`${JSON.stringify(result.payload)}\n`);
    } finally {
      await fn.stop();
    }
    return;
  }
  const config = stageConfig(options.stage);
  const { reports, data } = await stackOutputs(options.stage, undefined);
  const bucket = data.LakeBucketName;
  if (bucket === undefined) throw new ReportCliError(`stack uba-${options.stage}-data has no LakeBucketName output`);
  const { runner, close } = queryRunner(reports, undefined);
  const s3 = new S3Client({});
  try {
    const summary = await runDailyJob(
      {
        runner,
        store: new S3LakeStore(s3, bucket),
        config: { bucket },
        log: { info: (m, a) => process.stderr.write(`${m} ${JSON.stringify(a)}\n`) },
        newId: randomUUID,
      },
      arrivalDaysOf(input ?? {}, new Date(), config.timeZone),
    );
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    close();
    s3.destroy();
  }
}

interface ShowOptions extends Pick<LocalPlaces, 'localDir'> {
  readonly from?: string;
  readonly to?: string;
  readonly format: 'json' | 'csv';
  readonly stage?: string;
}

/** `report <name>`: one report computed now by its SQL, printed as JSON or CSV. */
async function showReport(name: string, options: ShowOptions): Promise<void> {
  if (!isReportName(name)) throw new ReportCliError(`unknown report ${name}; one of: ${REPORT_NAMES.join(', ')}, or run`);
  const local = options.stage === undefined ? localEndpoints(options) : undefined;
  const stage = options.stage ?? local?.stage ?? 'dev';
  const config = stageConfig(stage);
  const today = DateTime.now().setZone(config.timeZone).toISODate() ?? '';
  const to = options.to ?? today;
  const from = options.from ?? to;
  if (from > to) throw new ReportCliError('--from must not be after --to');
  if (daysBetween(from, to).length > 366) throw new ReportCliError('at most 366 days at once');
  const { reports } = await stackOutputs(stage, local);
  const { runner, close } = queryRunner(reports, local);
  try {
    const rows: ReportRow[] = [];
    for (const call of callsFor(name, from, to)) rows.push(...reportRows(name, await runner.select(call.query, call.values)));
    const answer: ReportAnswer = { report: name, from, to, columns: REPORT_COLUMNS[name], rows };
    process.stdout.write(options.format === 'csv' ? answerCsv(answer) : `${JSON.stringify(answer)}\n`);
  } finally {
    close();
  }
}

/** Parses the command line and runs it; resolves with the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const stageOption = new Option(
    '--stage <name>',
    'a deployed stage (Athena, S3 and CloudFormation with your AWS credentials); default: the local runtime',
  );
  const program = new Command('report').description('Daily reports: run the job, or print a report (docs/reports.md)').showHelpAfterError();
  program
    .command('run')
    .description('run the daily job for arrival days (local default: today so far; deployed default: yesterday)')
    .option('--date <day>', 'one arrival day, YYYY-MM-DD', day)
    .option('--from <day>', 'first arrival day', day)
    .option('--to <day>', 'last arrival day', day)
    .addOption(stageOption)
    .option('--local-dir <dir>', "npm start's --local-dir (where its endpoints.json is)", '.local')
    .option('--cdk-out <dir>', "npm start's --cdk-out (the assembly it runs)", 'cdk.out')
    .action(async (opts: RunOptions) => runJob(opts));
  for (const name of REPORT_NAMES) {
    program
      .command(name)
      .description(`print the ${name} report, computed now by its SQL`)
      .option('--from <day>', 'first day (default: --to)', day)
      .option('--to <day>', 'last day (default: today in the stage time zone)', day)
      .addOption(new Option('--format <format>', 'output format').choices(['json', 'csv']).default('json'))
      .addOption(new Option('--stage <name>', stageOption.description))
      .option('--local-dir <dir>', "npm start's --local-dir (where its endpoints.json is)", '.local')
      .action(async (opts: ShowOptions) => showReport(name, opts));
  }
  await program.parseAsync([...argv], { from: 'user' });
  return 0;
}

runCommandLine('report', () => main(process.argv.slice(2)), [ReportCliError, JobInputError]);
