import { AthenaClient } from '@aws-sdk/client-athena';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { gzipSync } from 'zlib';
import { AthenaService, DuckDbAthena, startAthena, type GlueTableSpec } from '../../local/athena';
import { localClientConfig, startS3, type RunningS3 } from '../../local/services';
import type { RunningService } from '../../local/services/ports';
import { AthenaQueryRunner } from '../../lambdas/reports/athena';
import { QUERY_NAMES } from '../../lambdas/reports/queries';
import { readAllQuerySql } from '../../lambdas/reports/sql-files';
import { S3LakeStore } from '../../lambdas/reports/store';
import { COMMODITY_TABLE, CURATED_TABLE, RAW_TABLE } from '../../lambdas/reports/tables';
import { DEFAULT_FUNNELS } from '../../lambdas/shared/reports';

export const TEST_DATABASE = 'uba_test_lake';
export const TEST_BUCKET = 'lake';
export const RESULTS_BUCKET = 'athena-results';
export const TEST_WORKGROUP = 'uba-test-reports';

/** The lake's tables as the local Athena reads them from the template (same definitions as the construct's). */
export function lakeTables(database: string, bucket: string): GlueTableSpec[] {
  const base = { database, bucket, skipHeaderLines: 0, jsonKeys: {} };
  return [
    {
      ...base,
      name: RAW_TABLE.name,
      prefix: RAW_TABLE.prefix,
      columns: RAW_TABLE.columns.map((c) => ({ name: c.name, type: c.type })),
      partitionKeys: [...RAW_TABLE.partitionKeys],
      format: 'json',
      compression: 'gzip',
      jsonKeys: Object.fromEntries(RAW_TABLE.columns.map((c) => [c.name, c.key])),
    },
    {
      ...base,
      name: CURATED_TABLE.name,
      prefix: CURATED_TABLE.prefix,
      columns: [...CURATED_TABLE.columns],
      partitionKeys: [...CURATED_TABLE.partitionKeys],
      format: 'parquet',
    },
    {
      ...base,
      name: COMMODITY_TABLE.name,
      prefix: COMMODITY_TABLE.prefix,
      columns: [...COMMODITY_TABLE.columns],
      partitionKeys: [],
      format: 'csv',
      skipHeaderLines: 1,
    },
  ];
}

/** An S3 stand-in with the lake bucket, the local Athena over it, and the job's runner and store (tests and `npm run bench:reports`). */
export interface LocalLake {
  readonly s3: RunningS3;
  readonly athena: RunningService;
  readonly engine: DuckDbAthena;
  readonly runner: AthenaQueryRunner;
  /** A client of the local Athena (for what the runner does not expose, e.g. statistics). */
  readonly athenaClient: AthenaClient;
  readonly store: S3LakeStore;
  /** Puts raw events as one gzip JSON-lines object. */
  putRaw(key: string, events: readonly object[]): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a local lake for tests; `stop()` ends everything it started. */
export async function startLocalLake(
  options: { bytesScannedCutoff?: number; timeZone?: string; funnels?: Readonly<Record<string, readonly string[]>> } = {},
): Promise<LocalLake> {
  const s3 = await startS3({ port: 0, buckets: [TEST_BUCKET, RESULTS_BUCKET] });
  const tables = lakeTables(TEST_DATABASE, TEST_BUCKET);
  const engine = await DuckDbAthena.create({ s3Dir: s3.directory, s3: s3.client, tables });
  const sql = readAllQuerySql({ timeZone: options.timeZone ?? 'Asia/Shanghai', funnels: options.funnels ?? DEFAULT_FUNNELS });
  const service = new AthenaService({
    catalog: {
      tables,
      namedQueries: QUERY_NAMES.map((name) => ({
        id: `nq-${name}`,
        name,
        database: TEST_DATABASE,
        workGroup: TEST_WORKGROUP,
        queryString: sql[name],
      })),
      workGroups: [
        {
          name: TEST_WORKGROUP,
          enforce: true,
          outputLocation: `s3://${RESULTS_BUCKET}/results/`,
          bytesScannedCutoff: options.bytesScannedCutoff,
        },
      ],
    },
    engine,
    s3: s3.client,
  });
  const athena = await startAthena(service, 0);
  const client = new AthenaClient(localClientConfig(athena.endpoint));
  const runner = new AthenaQueryRunner({
    client,
    namedQueries: Object.fromEntries(QUERY_NAMES.map((n) => [n, `nq-${n}`])),
    database: TEST_DATABASE,
    workGroup: TEST_WORKGROUP,
    pollMs: 5,
  });
  return {
    s3,
    athena,
    engine,
    runner,
    athenaClient: client,
    store: new S3LakeStore(s3.client, TEST_BUCKET),
    putRaw: async (key, events) => {
      await s3.client.send(
        new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: gzipSync(events.map((e) => JSON.stringify(e)).join('\n') + '\n') }),
      );
    },
    stop: async () => {
      client.destroy();
      await athena.stop();
      engine.close();
      await s3.stop();
    },
  };
}
