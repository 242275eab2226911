import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AppFunction } from './app-function';
import type { ResultsTable } from './results-table';

export interface QueryApiProps {
  /** The `/v1` resource of the REST API the read routes hang under. */
  readonly v1: apigw.IResource;
  readonly results: ResultsTable;
  /** IANA zone of minute buckets and days. */
  readonly timeZone: string;
  readonly stage: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** The read API: `GET /v1/alerts`, `/v1/metrics`, `/v1/paths`, `/v1/paths.csv` behind the API key, served by the query Lambda (read-only on the results table). */
export class QueryApi extends Construct {
  public readonly appFunction: AppFunction;

  constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);
    this.appFunction = new AppFunction(this, 'Handler', {
      entry: 'lambdas/query/handler.ts',
      serviceName: 'query',
      memorySize: 512,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: { RESULTS_TABLE: props.results.table.tableName, TIME_ZONE: props.timeZone, STAGE: props.stage },
    });
    props.results.grantResultsRead(this.appFunction.role);

    const integration = new apigw.LambdaIntegration(this.appFunction.function, { proxy: true });
    const resource = (part: string) => props.v1.getResource(part) ?? props.v1.addResource(part);
    const methods = ['alerts', 'metrics', 'paths', 'paths.csv'].map((part) => resource(part).addMethod('GET', integration, { apiKeyRequired: true }));
    for (const method of methods) {
      for (const ruleId of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
        Validations.of(method).acknowledge({
          id: ruleId,
          reason: 'Read callers (the dashboard, scripts) authenticate with the API key of the usage plan (apiKeyRequired), which also throttles them.',
        });
      }
    }
  }
}
