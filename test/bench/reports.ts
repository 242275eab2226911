/**
 * `npm run bench:reports [-- --events N]`: the daily reports on DuckDB (the local Athena) for one
 * arrival day of N events (default 1,000,000): the time to compact the day into Parquet and to
 * run every report, and the bytes each report's query reads from Parquet against the raw gzip
 * JSON it would read without the curated table. Prints the figures (docs/benchmarks.md).
 */
import { gzipSync } from 'zlib';
import { GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Command, InvalidArgumentError } from 'commander';
import { compactArrivalDay, writeReports, type JobDeps } from '../../lambdas/reports/job';
import { callsFor } from '../../lambdas/reports/plan';
import { executionParameters } from '../../lambdas/reports/queries';
import { readAllQuerySql } from '../../lambdas/reports/sql-files';
import { DEFAULT_FUNNELS, REPORT_NAMES } from '../../lambdas/shared/reports';
import { listObjectFiles } from '../../local/athena';
import { mulberry32 } from '../../scripts/producer/rng';
import { startLocalLake, TEST_BUCKET, TEST_DATABASE, TEST_WORKGROUP } from '../support/local-athena';

const DATABASE = TEST_DATABASE;
const BUCKET = TEST_BUCKET;
const WORKGROUP = TEST_WORKGROUP;
const TZ = 'Asia/Shanghai';
const ARRIVAL = '2024-05-27';

/**
 * `count` events arriving on ARRIVAL (local), by hour: 97 % created that day, 3 % up to a week
 * earlier (late arrivals); a mix of taobao actions, web page views in sessions, vending orders
 * and recharge notifications over 50,000 users.
 */
function* events(count: number): Generator<{ hour: number; event: Record<string, unknown> }> {
  const r = mulberry32(8);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const dayStart = Date.parse(`${ARRIVAL}T00:00:00+08:00`);
  const pages = ['/home', '/search', '/product', '/cart', '/checkout', '/help'];
  for (let i = 0; i < count; i += 1) {
    const arrival = dayStart + Math.floor((i / count) * 86_400_000);
    const created = r() < 0.97 ? arrival - Math.floor(r() * 60_000) : arrival - Math.floor(r() * 7 * 86_400_000);
    const user = `u${Math.floor(r() * 50_000)}`;
    const kind = r();
    const base = {
      eventId: `b${i}`,
      userId: user,
      createdAt: new Date(created).toISOString(),
      receivedAt: new Date(arrival).toISOString(),
    };
    let event: Record<string, unknown>;
    if (kind < 0.5) {
      event = {
        ...base,
        action: pick(['click', 'click', 'click', 'cart', 'fav', 'buy']),
        objectId: `i${Math.floor(r() * 5000)}`,
        props: {
          ageRange: pick(['18-24', '25-29', '30-34', '35-39']),
          gender: pick(['F', 'M']),
          province: pick(['Zhejiang', 'Beijing', 'Guangdong', 'Sichuan']),
        },
      };
    } else if (kind < 0.8) {
      event = { ...base, action: 'page_view', sessionId: `s${user}-${Math.floor(created / 1_800_000)}`, path: pick(pages) };
    } else if (kind < 0.9) {
      event = {
        ...base,
        action: 'order',
        props: {
          machineId: `M${Math.floor(r() * 200)}`,
          commodityId: String(1000001 + Math.floor(r() * 10)),
          quantity: 1 + Math.floor(r() * 3),
          amount: Math.round(r() * 2000) / 100,
        },
      };
    } else {
      const local = new Date(created + 8 * 3_600_000)
        .toISOString()
        .replace(/[-:T.Z]/g, '')
        .slice(0, 17);
      event = {
        ...base,
        action: 'reChargeNotifyReq',
        props: {
          provinceCode: String(100 + Math.floor(r() * 30)),
          bussinessRst: r() < 0.9 ? '0000' : '0001',
          chargefee: pick([10, 20, 50, 100]),
          requestId: `${local}${i}`,
          receiveNotifyTime: local,
        },
      };
    }
    yield { hour: Math.floor((arrival - dayStart) / 3_600_000), event };
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main(count: number): Promise<void> {
  const lake = await startLocalLake({ timeZone: TZ, funnels: DEFAULT_FUNNELS });
  const { s3, athenaClient: client } = lake;
  const sql = readAllQuerySql({ timeZone: TZ, funnels: DEFAULT_FUNNELS });
  try {
    // Prepare: the raw lake of one arrival day, one gzip object per hour, as Firehose writes it.
    const byHour = new Map<number, string[]>();
    for (const { hour, event } of events(count)) {
      const lines = byHour.get(hour) ?? [];
      lines.push(JSON.stringify(event));
      byHour.set(hour, lines);
    }
    for (const [hour, lines] of byHour) {
      const hh = String(hour).padStart(2, '0');
      await s3.client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `raw/dt=${ARRIVAL}/hour=${hh}/bench-${hh}.json.gz`,
          Body: gzipSync(`${lines.join('\n')}\n`),
        }),
      );
    }
    byHour.clear();
    const rawBytes = listObjectFiles(s3.directory, BUCKET, 'raw/').reduce((n, f) => n + f.bytes, 0);
    const deps: JobDeps = {
      runner: lake.runner,
      store: lake.store,
      config: { bucket: BUCKET },
      log: { info: () => undefined },
      newId: () => 'bench',
    };

    // Act: compact, then every report.
    let t = Date.now();
    const eventDays = await compactArrivalDay(deps, ARRIVAL);
    const compactMs = Date.now() - t;
    t = Date.now();
    const files = await writeReports(deps, eventDays);
    const reportsMs = Date.now() - t;
    const curatedBytes = listObjectFiles(s3.directory, BUCKET, 'curated/events/').reduce((n, f) => n + f.bytes, 0);

    // Bytes per report over the arrival day's own event day: Parquet as scanned, raw JSON as whole gzip objects.
    const scanned = async (name: (typeof REPORT_NAMES)[number]) => {
      let bytes = 0;
      for (const call of callsFor(name, ARRIVAL, ARRIVAL)) {
        const started = await client.send(
          new StartQueryExecutionCommand({
            QueryString: sql[call.query],
            QueryExecutionContext: { Database: DATABASE },
            WorkGroup: WORKGROUP,
            ExecutionParameters: executionParameters(call.query, sql[call.query], call.values),
          }),
        );
        for (;;) {
          const out = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: started.QueryExecutionId }));
          const state = out.QueryExecution?.Status?.State;
          if (state === 'SUCCEEDED') {
            bytes += out.QueryExecution?.Statistics?.DataScannedInBytes ?? 0;
            break;
          }
          if (state === 'FAILED') throw new Error(out.QueryExecution?.Status?.StateChangeReason);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      return bytes;
    };

    process.stdout.write(
      `events ${count.toLocaleString('en')} arriving on ${ARRIVAL} (${eventDays.length} event days); raw gzip JSON ${mb(rawBytes)}, curated Parquet ${mb(curatedBytes)}\n`,
    );
    process.stdout.write(`compact one arrival day: ${(compactMs / 1000).toFixed(1)} s\n`);
    process.stdout.write(`run all reports (${files} export files): ${(reportsMs / 1000).toFixed(1)} s\n\n`);
    process.stdout.write('| report | Parquet read | raw JSON read | ratio |\n|---|---:|---:|---:|\n');
    for (const name of REPORT_NAMES) {
      const bytes = await scanned(name);
      process.stdout.write(`| ${name} | ${mb(bytes)} | ${mb(rawBytes)} | ${(rawBytes / Math.max(bytes, 1)).toFixed(1)}× |\n`);
    }
  } finally {
    await lake.stop();
  }
}

const program = new Command('bench:reports')
  .option(
    '--events <n>',
    'events in the arrival day',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1000 || n > 10_000_000)
        throw new InvalidArgumentError('must be a whole number from 1,000 to 10,000,000');
      return n;
    },
    1_000_000,
  )
  .parse();
main((program.opts() as { events: number }).events).catch((error: unknown) => {
  process.stderr.write(`bench:reports failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
