import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { IngestApi } from '../constructs/ingest-api';

export interface IngestStackProps extends StackProps {
  readonly config: StageConfig;
  readonly stream: kinesis.IStream;
  readonly pseudonymKey?: secretsmanager.ISecret;
}

/** The stateless front door of a stage: the ingest API and its Lambda. */
export class IngestStack extends Stack {
  public readonly ingest: IngestApi;

  constructor(scope: Construct, id: string, props: IngestStackProps) {
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
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.ingest.api.url, description: 'Base URL of the API (POST v1/events, v1/paths)' });
    new CfnOutput(this, 'ApiKeyId', {
      value: this.ingest.apiKey.keyId,
      description: 'Id of the producer API key; its value: aws apigateway get-api-key --include-value --api-key <id>',
    });
  }
}
