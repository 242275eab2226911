import { randomUUID } from 'crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { AthenaQueryRunner } from './athena';
import { loadReportsConfig } from './config';
import { arrivalDaysOf, runDailyJob, type JobSummary } from './job';
import { S3LakeStore } from './store';

const logger = new Logger();
/** Endpoints come from the SDK's own `AWS_ENDPOINT_URL_ATHENA` / `_S3` (set by the local runtime). */
const athena = new AthenaClient({});
const s3 = new S3Client({
  forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
  // Checksums only where S3 requires them: identical on AWS, and uploads stay plain (no aws-chunked framing) for the S3 stand-in.
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

let config: ReturnType<typeof loadReportsConfig> | undefined;

/**
 * The daily reports job (EventBridge Scheduler at 00:30, or on demand): input `{}` (yesterday),
 * `{date}` or `{from, to}` (arrival days). Throws for a bad input or configuration and when a
 * query or S3 call fails, so the invocation fails and alarms.
 */
export const handler = async (event: unknown, context?: Context): Promise<JobSummary> => {
  if (context !== undefined) logger.addContext(context);
  if (config === undefined) {
    try {
      config = loadReportsConfig(process.env);
    } catch (error) {
      logger.error('invalid configuration', error as Error);
      throw error;
    }
  }
  const days = arrivalDaysOf(event, new Date(), config.timeZone);
  const runner = new AthenaQueryRunner({ client: athena, namedQueries: config.namedQueries, database: config.database, workGroup: config.workGroup });
  try {
    return await runDailyJob({ runner, store: new S3LakeStore(s3, config.bucket), config, log: logger, newId: randomUUID }, days);
  } catch (error) {
    logger.error('daily reports failed', error as Error);
    throw error;
  }
};
