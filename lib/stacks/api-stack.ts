import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
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
  /** The people's user pool (identity stack): the read routes' Cognito authorizer. */
  readonly userPool: cognito.IUserPool;
}

/**
 * The stateless front door of a stage: one REST API for reading results (GET, people's ID tokens)
 * and, with the `rest` front door, ingest (POST, producers' API keys); with `alb`, producers post to
 * a load balancer in front of the same ingest Lambda.
 */
export class ApiStack extends Stack {
  public readonly ingest: IngestApi;
  public readonly query: QueryApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.ingest = new IngestApi(this, 'Ingest', {
      stream: props.stream,
      stageName: config.stage,
      producers: config.ingest.producers,
      keyNamePrefix: config.prefix,
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
      frontDoor: config.ingest.frontDoor,
    });

    this.query = new QueryApi(this, 'Query', {
      v1: this.ingest.v1,
      results: props.results,
      userPool: props.userPool,
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
    const [first] = config.ingest.producers;
    const { apiKeys, producerKeys, loadBalancer } = this.ingest;
    if (apiKeys) {
      new CfnOutput(this, 'ApiKeyId', {
        value: apiKeys[first].keyId,
        description: `Id of the API key of the first producer (${first}); its value: aws apigateway get-api-key --include-value --api-key <id>`,
      });
      new CfnOutput(this, 'ApiKeyIds', {
        value: Stack.of(this).toJsonString(Object.fromEntries(Object.entries(apiKeys).map(([name, key]) => [name, key.keyId]))),
        description: 'Ids of the producers\' API keys, as JSON {"<producer>": "<key id>"}',
      });
    }
    if (producerKeys && loadBalancer) {
      new CfnOutput(this, 'IngestUrl', {
        value: loadBalancer.url,
        description:
          'Base URL producers POST to (v1/events, v1/paths; header x-api-key): the load balancer, under the domain of the SSM parameter',
      });
      new CfnOutput(this, 'ProducerKeySecrets', {
        value: Stack.of(this).toJsonString(
          Object.fromEntries(Object.entries(producerKeys.secrets).map(([name, secret]) => [name, secret.secretArn])),
        ),
        description:
          'ARNs of the producers\' key secrets, as JSON {"<producer>": "<secret ARN>"}; a value: aws secretsmanager get-secret-value --secret-id <arn>',
      });
    }
  }
}
