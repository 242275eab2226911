import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AppFunction } from './app-function';
import type { ResultsTable } from './results-table';
import { EXPORTS_PREFIX } from '../../lambdas/shared/reports';
import { flattenReference } from '../nag';

export interface QueryApiProps {
  /** The `/v1` resource of the REST API the read routes hang under. */
  readonly v1: apigw.IResource;
  readonly results: ResultsTable;
  /** The people's user pool: every read route takes an ID token it issued (API Gateway's Cognito authorizer). */
  readonly userPool: cognito.IUserPool;
  /** How long API Gateway caches a token's verdict. @default Duration.minutes(5) */
  readonly authorizerCacheTtl?: Duration;
  /** The lake bucket: the report routes read its `exports/` (never Athena). */
  readonly lake: s3.IBucket;
  /** IANA zone of minute buckets and days. */
  readonly timeZone: string;
  readonly stage: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The read API: `GET /v1/alerts`, `/v1/metrics`, `/v1/paths`, `/v1/paths.csv`, `/v1/reports` and
 * `/v1/reports/{name}` behind a Cognito user pools authorizer (an ID token in `Authorization`;
 * no API key), served by the query Lambda (read-only on the results table and on the lake's
 * `exports/`), which decides per route from the token's groups (lambdas/shared/access.ts).
 */
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
      environment: {
        RESULTS_TABLE: props.results.table.tableName,
        TIME_ZONE: props.timeZone,
        STAGE: props.stage,
        LAKE_BUCKET: props.lake.bucketName,
      },
    });
    props.results.grantResultsRead(this.appFunction.role);
    const exportsPolicy = new iam.Policy(this, 'ExportsRead', {
      roles: [this.appFunction.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [props.lake.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${EXPORTS_PREFIX}*`] } },
        }),
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.lake.arnForObjects(`${EXPORTS_PREFIX}*`)] }),
      ],
    });
    Validations.of(exportsPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(this).resolve(props.lake.bucketArn))}/${EXPORTS_PREFIX}*]`,
      reason: 'The report routes read the daily exports, one object per report and day under exports/<report>/dt=<day>/.',
    });

    const authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: apigw.IdentitySource.header('Authorization'),
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.minutes(5),
    });
    const integration = new apigw.LambdaIntegration(this.appFunction.function, { proxy: true });
    const resource = (part: string) => props.v1.getResource(part) ?? props.v1.addResource(part);
    const reports = resource('reports');
    for (const r of [...['alerts', 'metrics', 'paths', 'paths.csv'].map(resource), reports, reports.addResource('{name}')]) {
      // The API's default asks for an API key: read routes take people's tokens instead, never a producer key.
      r.addMethod('GET', integration, { apiKeyRequired: false, authorizer, authorizationType: apigw.AuthorizationType.COGNITO });
    }
  }
}
