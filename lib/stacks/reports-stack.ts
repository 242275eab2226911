import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { Reports } from '../constructs/reports';
import { importLakeBucket } from './data-stack';

export interface ReportsStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The offline half of a stage: the lake's catalog, Athena, and the scheduled daily reports job. */
export class ReportsStack extends Stack {
  public readonly reports: Reports;

  constructor(scope: Construct, id: string, props: ReportsStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.reports = new Reports(this, 'Reports', {
      lake: importLakeBucket(this, 'Lake', config.prefix),
      namePrefix: config.prefix,
      timeZone: config.timeZone,
      funnels: config.reports.funnels,
      bytesScannedCutoff: config.reports.bytesScannedCutoff,
      historyDays: config.reports.historyDays,
      resultsExpireAfter: config.reports.resultsExpireAfter,
      stage: config.stage,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    new CfnOutput(this, 'ReportsJobName', {
      value: this.reports.job.function.functionName,
      description: 'Lambda of the daily reports job (input {} | {"date"} | {"from","to"})',
    });
    new CfnOutput(this, 'GlueDatabaseName', {
      value: this.reports.databaseName,
      description: 'Glue database of the lake (raw_events, events, commodity)',
    });
    new CfnOutput(this, 'AthenaWorkGroupName', { value: this.reports.workGroup.ref, description: 'Athena workgroup of the reports' });
    new CfnOutput(this, 'NamedQueryIds', {
      value: Stack.of(this).toJsonString(Object.fromEntries(Object.entries(this.reports.namedQueries).map(([n, q]) => [n, q.ref]))),
      description: 'Athena named query id of each report query (JSON)',
    });
  }
}
