import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { IngestApi } from '../constructs/ingest-api';
import { QueryApi } from '../constructs/query-api';
import { importLakeBucket } from './data-stack';
import type { ResultsTable } from '../constructs/results-table';

export interface ApiStackProps extends StackProps {
  readonly config: StageConfig;
  readonly stream: kinesis.IStream;
  readonly results: ResultsTable;
  readonly pseudonymKey?: secretsmanager.ISecret;
}

/** The stateless front door of a stage: one REST API for ingest (POST) and reading results (GET). */
export class ApiStack extends Stack {
  public readonly ingest: IngestApi;
  public readonly query: QueryApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.ingest = new IngestApi(this, 'Ingest', {
      stream: props.stream,
      stageName: config.stage,
      timeZone: config.timeZone,
      throttleRateLimit: config.ingest.throttleRateLimit,
      throttleBurstLimit: config.ingest.throttleBurstLimit,
      maxEventsPerRequest: config.ingest.maxEventsPerRequest,
      maxBodyBytes: config.ingest.maxBodyBytes,
      pseudonymKey: props.pseudonymKey,
      pseudonymizedProps: config.ingest.pseudonymizedProps,
      memorySize: config.ingest.memorySize,
      detailedMetrics: config.ingest.detailedMetrics,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    this.query = new QueryApi(this, 'Query', {
      v1: this.ingest.v1,
      results: props.results,
      lake: importLakeBucket(this, 'Lake', config.prefix),
      timeZone: config.timeZone,
      stage: config.stage,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.ingest.api.url,
      description:
        'Base URL of the API (POST v1/events, v1/paths; GET v1/alerts, v1/metrics, v1/paths, v1/paths.csv, v1/reports, v1/reports/{name})',
    });
    new CfnOutput(this, 'ApiKeyId', {
      value: this.ingest.apiKey.keyId,
      description: 'Id of the producer API key; its value: aws apigateway get-api-key --include-value --api-key <id>',
    });
  }
}
