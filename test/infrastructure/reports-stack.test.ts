import { Match, Template } from 'aws-cdk-lib/assertions';
import { QUERY_NAMES, renderQuerySql } from '../../lambdas/reports/queries';
import { readQuerySql } from '../../lambdas/reports/sql-files';
import { stageConfig } from '../../lib/config/stage-config';
import { actionsOf, policyStatements, synthStage } from './stage-app';

const stage = synthStage('dev');
const reports = Template.fromStack(stage.stacks.reports);
const api = stage.api;
type Json = Record<string, unknown>;

/** The ARN of objects under a prefix of the lake bucket, as the stage's templates write it. */
const lakeObjects = (prefix: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { 'Fn::ImportValue': 'uba-dev-lake-bucket' }, `/${prefix}`]],
});

describe('catalog', () => {
  it('has the lake database', () => {
    reports.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'uba_dev_lake' } });
  });

  it('reads the raw gzip JSON lines with partition projection on dt and hour (no crawler)', () => {
    reports.resourceCountIs('AWS::Glue::Crawler', 0);
    reports.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'uba_dev_lake',
      TableInput: Match.objectLike({
        Name: 'raw_events',
        PartitionKeys: [
          { Name: 'dt', Type: 'string' },
          { Name: 'hour', Type: 'string' },
        ],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.hour.type': 'integer',
          'projection.hour.digits': '2',
          compressionType: 'gzip',
        }),
        StorageDescriptor: Match.objectLike({
          SerdeInfo: {
            SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            Parameters: Match.objectLike({ 'case.insensitive': 'false', 'mapping.eventid': 'eventId', 'mapping.createdat': 'createdAt' }),
          },
        }),
      }),
    });
  });

  it('keeps the curated events in Parquet, partitioned by event day', () => {
    reports.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'events',
        PartitionKeys: [{ Name: 'event_day', Type: 'string' }],
        Parameters: Match.objectLike({
          classification: 'parquet',
          'projection.event_day.type': 'date',
          'projection.event_day.range': `NOW-${stageConfig('dev').reports.historyDays}DAYS,NOW+1DAYS`,
        }),
        StorageDescriptor: Match.objectLike({
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        }),
      }),
    });
  });

  it('has the commodity dimension, deployed from dim/commodity.csv under dim/commodity/', () => {
    reports.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({ Name: 'commodity', Parameters: Match.objectLike({ 'skip.header.line.count': '1' }) }),
    });
    reports.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: 'dim/commodity/',
      DestinationBucketName: { 'Fn::ImportValue': 'uba-dev-lake-bucket' },
    });
  });
});

describe('workgroup', () => {
  it.each(['dev', 'prod'] as const)('%s: enforces its configuration, encrypts results and cuts queries off at the stage limit', (name) => {
    const t = name === 'dev' ? reports : Template.fromStack(synthStage(name).stacks.reports);
    t.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: `uba-${name}-reports`,
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: stageConfig(name).reports.bytesScannedCutoff,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } }),
      }),
    });
  });

  it('writes results to a bucket whose lifecycle expires them', () => {
    reports.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ ExpirationInDays: stageConfig('dev').reports.resultsExpireAfter.toDays(), Status: 'Enabled' }),
        ]),
      },
      BucketEncryption: Match.anyValue(),
    });
  });

  it('saves every SQL file as a named query, with the stage time zone and funnels written in', () => {
    const named = Object.values(reports.findResources('AWS::Athena::NamedQuery')).map((r) => (r as { Properties: Json }).Properties);
    expect(named.map((p) => p.Name).sort()).toEqual([...QUERY_NAMES].sort());
    const { timeZone, reports: r } = stageConfig('dev');
    for (const p of named)
      expect(p.QueryString).toBe(renderQuerySql(readQuerySql(p.Name as (typeof QUERY_NAMES)[number]), { timeZone, funnels: r.funnels }));
    expect(named.find((p) => p.Name === 'funnel')?.QueryString).toContain(
      "VALUES ('purchase', 1, 'click'), ('purchase', 2, 'cart'), ('purchase', 3, 'buy')",
    );
  });
});

describe('schedule', () => {
  it('runs the daily job at 00:30 in the stage time zone, for yesterday, with retries and a dead-letter queue', () => {
    reports.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 0 * * ? *)',
      ScheduleExpressionTimezone: stageConfig('dev').timeZone,
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({ Input: '{}', DeadLetterConfig: { Arn: Match.anyValue() }, RetryPolicy: Match.anyValue() }),
    });
  });
});

describe('least privilege', () => {
  const sorted = (values: unknown[]) => values.map((v) => JSON.stringify(v)).sort();
  type PolicyResource = { Properties: { Roles?: unknown[]; PolicyDocument: { Statement: Json[] } } };
  /** Every statement of every policy attached to the job's role (found through its JobPolicy), so a grant added anywhere shows. */
  const jobStatements = () => {
    const jobPolicies = Object.values(
      reports.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('JobPolicy') } }),
    ) as PolicyResource[];
    const roles = new Set(jobPolicies.flatMap((p) => (p.Properties.Roles ?? []).map((r) => JSON.stringify(r))));
    expect(roles.size).toBe(1);
    const attached = (Object.values(reports.findResources('AWS::IAM::Policy')) as PolicyResource[]).filter((p) =>
      (p.Properties.Roles ?? []).some((r) => roles.has(JSON.stringify(r))),
    );
    const allRoles = reports.findResources('AWS::IAM::Role');
    const roleIds = Object.keys(allRoles).filter((id) => roles.has(JSON.stringify({ Ref: id })));
    expect(roleIds).toHaveLength(1);
    const roleResource = allRoles[roleIds[0] ?? ''] as
      { Properties: { Policies?: Array<{ PolicyDocument: { Statement: Json[] } }>; ManagedPolicyArns?: unknown[] } } | undefined;
    expect(roleResource?.Properties.ManagedPolicyArns ?? []).toEqual([]);
    return [
      ...attached.flatMap((p) => p.Properties.PolicyDocument.Statement),
      ...(roleResource?.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement),
    ];
  };

  it('lets the job read raw/, dim/ and curated/ only', () => {
    const reads = jobStatements().filter(
      (s) => actionsOf(s as never).includes('s3:GetObject') && JSON.stringify(s).includes('uba-dev-lake-bucket'),
    );
    expect(sorted(reads.flatMap((s) => s.Resource as unknown[]))).toEqual(
      sorted([lakeObjects('raw/*'), lakeObjects('dim/*'), lakeObjects('curated/*')]),
    );
  });

  it('lets the job write only curated/ and exports/ of the lake, and results/ of the results bucket', () => {
    const writes = jobStatements().filter((s) => actionsOf(s as never).some((a) => a === 's3:PutObject' || a === 's3:DeleteObject'));
    const lakeWrites = writes.flatMap((s) => s.Resource as unknown[]).filter((r) => JSON.stringify(r).includes('uba-dev-lake-bucket'));
    expect(sorted(lakeWrites)).toEqual(sorted([lakeObjects('curated/*'), lakeObjects('exports/*'), lakeObjects('curated/*')]));
    const deletes = writes.filter((s) => actionsOf(s as never).includes('s3:DeleteObject')).flatMap((s) => s.Resource as unknown[]);
    expect(deletes).toEqual([lakeObjects('curated/*')]);
    const other = writes.flatMap((s) => s.Resource as unknown[]).filter((r) => !JSON.stringify(r).includes('uba-dev-lake-bucket'));
    expect(other).toHaveLength(1);
    expect(JSON.stringify(other[0])).toContain('/results/*');
  });

  it('lets the job use only its workgroup and the lake catalog', () => {
    const athena = jobStatements().filter((s) => actionsOf(s as never).some((a) => a.startsWith('athena:')));
    expect(athena).toHaveLength(1);
    expect(JSON.stringify(athena[0].Resource)).toContain(':workgroup/');
    const glue = jobStatements().filter((s) => actionsOf(s as never).some((a) => a.startsWith('glue:')));
    expect(glue.flatMap((s) => actionsOf(s as never)).every((a) => a.startsWith('glue:Get'))).toBe(true);
  });

  it('lets the query Lambda read exports/ only, never Athena', () => {
    const statementsApi = policyStatements(api);
    expect(statementsApi.some((s) => actionsOf(s).some((a) => a.startsWith('athena:')))).toBe(false);
    const lakeGets = statementsApi.filter((s) => actionsOf(s).includes('s3:GetObject'));
    expect(lakeGets.map((s) => s.Resource)).toEqual([lakeObjects('exports/*')]);
    api.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'reports' });
    api.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{name}' });
  });
});
