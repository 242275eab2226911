import { randomUUID } from 'crypto';
import { AthenaClient } from '@aws-sdk/client-athena';
import { meteredEntry } from '../shared/entry';
import { lambdaS3Client } from '../shared/s3-client';
import { AthenaQueryRunner } from './athena';
import { loadReportsConfig } from './config';
import { arrivalDaysOf, runDailyJob, type JobSummary } from './job';
import { S3LakeStore } from './store';

// ---------------------------------------------------------------------------------------------
// Production wiring: one Athena and one S3 client per container, configuration read once (lambdaEntry).

/** Endpoints come from the SDK's own `AWS_ENDPOINT_URL_ATHENA` / `_S3` (set by the local runtime). */
const athena = new AthenaClient({});
const s3 = lambdaS3Client();

/**
 * The daily reports job (EventBridge Scheduler at 00:30, or on demand): input `{}` (yesterday),
 * `{date}` or `{from, to}` (arrival days). Throws for a bad input or configuration and when a
 * query or S3 call fails, so the invocation fails and alarms; every run counts once in
 * `ReportRunsSucceeded` or `ReportRunsFailed`.
 */
export const handler = meteredEntry<unknown, JobSummary>('reports', (logger, metrics) => {
  const config = loadReportsConfig(process.env);
  const runner = new AthenaQueryRunner({
    client: athena,
    namedQueries: config.namedQueries,
    database: config.database,
    workGroup: config.workGroup,
  });
  const store = new S3LakeStore(s3, config.bucket);
  return async (event) => {
    try {
      const days = arrivalDaysOf(event, new Date(), config.timeZone);
      const summary = await runDailyJob({ runner, store, config, log: logger, newId: randomUUID }, days);
      metrics.add({ ReportRunsSucceeded: 1 });
      return summary;
    } catch (error) {
      metrics.add({ ReportRunsFailed: 1 });
      logger.error('daily reports failed', { error });
      throw error;
    }
  };
});
