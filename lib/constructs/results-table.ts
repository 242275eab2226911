import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ALERTS_BY_TIME_INDEX } from '../../lambdas/shared/results-table';

export interface ResultsTableProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** DynamoDB deletion protection: DeleteTable fails until it is turned off. @default false */
  readonly deletionProtection?: boolean;
}

/**
 * The DynamoDB table of every real-time result (alerts, per-minute metrics, window partials,
 * path ledgers and session state, quarantined records; keys in lambdas/shared/results-table.ts):
 * on-demand, encrypted, point-in-time recovery, TTL on `expiresAt`, a `byTime` index for
 * listing alerts, and deletion protection where the stage asks for it.
 */
export class ResultsTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: ResultsTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deletionProtection: props.deletionProtection ?? false,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: ALERTS_BY_TIME_INDEX,
      partitionKey: { name: 'gpk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  /** Lets `grantee` read and write single items of the table, as the consumers do (no Query, Scan, Delete or administration). */
  grantResultsReadWrite(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /** Lets `grantee` query the table and its alerts index (the read API needs nothing else; no Scan). */
  grantResultsRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [this.table.tableArn, `${this.table.tableArn}/index/${ALERTS_BY_TIME_INDEX}`],
    });
  }
}
