import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Template } from 'aws-cdk-lib/assertions';
import { stageConfig, STAGE_NAMES, type StageName } from '../../lib/config/stage-config';
import { giveHelperFunctionsLogGroups } from '../../lib/destroy';
import { synthStage, testApp } from './stage-app';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
interface CfnResourceJson {
  Type: string;
  Properties?: Record<string, Json>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
}

const templates = new Map<StageName, Record<string, Template>>();
/** Every stack of a stage, by its name without the `uba-<stage>-` prefix. */
function stageTemplates(stage: StageName): Record<string, Template> {
  let found = templates.get(stage);
  if (!found) {
    const { stacks } = synthStage(stage);
    found = Object.fromEntries(Object.entries(stacks).map(([part, stack]) => [part, Template.fromStack(stack)]));
    templates.set(stage, found);
  }
  return found;
}

function resources(template: Template): Record<string, CfnResourceJson> {
  return template.toJSON().Resources as Record<string, CfnResourceJson>;
}

/** Logical ids a resource depends on directly: its DependsOn, and every Ref / Fn::GetAtt in its properties. */
function directDependencies(resource: CfnResourceJson): Set<string> {
  const out = new Set<string>(resource.DependsOn === undefined ? [] : [resource.DependsOn].flat());
  const walk = (value: Json | undefined): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      const ref = value.Ref;
      if (typeof ref === 'string' && !ref.startsWith('AWS::')) out.add(ref);
      const getAtt = value['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') out.add(getAtt[0]);
      Object.values(value).forEach(walk);
    }
  };
  walk(resource.Properties);
  return out;
}

/**
 * True when `from` depends on `to`, directly or through others. CloudFormation deletes a
 * resource only after every resource that depends on it: so `to` is deleted before `from`.
 */
function dependsOn(all: Record<string, CfnResourceJson>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    for (const dep of directDependencies(all[id])) {
      if (dep === to) return true;
      if (!seen.has(dep) && all[dep]) {
        seen.add(dep);
        stack.push(dep);
      }
    }
  }
  return false;
}

function onlyId(all: Record<string, CfnResourceJson>, type: string, idPrefix: string): string {
  const ids = Object.keys(all).filter((id) => all[id].Type === type && id.startsWith(idPrefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('dashboard log bucket: a destroy that always finishes', () => {
  it('dev: the bucket is emptied only after the distribution and the site bucket, its writers, are deleted', () => {
    const all = resources(stageTemplates('dev').dashboard);
    const logBucket = onlyId(all, 'AWS::S3::Bucket', 'DashboardLogs');
    const siteBucket = onlyId(all, 'AWS::S3::Bucket', 'DashboardSite');
    const distribution = onlyId(all, 'AWS::CloudFront::Distribution', 'Dashboard');
    const emptier = Object.keys(all).find(
      (id) =>
        all[id].Type === 'Custom::S3AutoDeleteObjects' &&
        JSON.stringify(all[id].Properties?.BucketName) === JSON.stringify({ Ref: logBucket }),
    );
    if (!emptier) throw new Error('the log bucket has no auto-delete custom resource');
    // The distribution writes its logs into this bucket…
    expect(JSON.stringify(all[distribution].Properties)).toContain(`"Bucket":{"Fn::GetAtt":["${logBucket}","RegionalDomainName"]}`);
    // …and is deleted before the custom resource empties the bucket; so is the site bucket (S3 access logs).
    expect(dependsOn(all, emptier, distribution)).toBe(true);
    expect(dependsOn(all, emptier, siteBucket)).toBe(true);
    // The bucket itself goes last, after the emptying.
    expect(dependsOn(all, emptier, logBucket)).toBe(true);
    expect(all[logBucket].DeletionPolicy).toBe('Delete');
  });

  it.each(['dev', 'prod'] as const)(
    '%s: its policy is never deleted by CloudFormation, so the deny the emptying adds stays until S3 deletes the bucket',
    (stage) => {
      const all = resources(stageTemplates(stage).dashboard);
      const logBucket = onlyId(all, 'AWS::S3::Bucket', 'DashboardLogs');
      const policies = Object.values(all).filter(
        (r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties?.Bucket) === JSON.stringify({ Ref: logBucket }),
      );
      expect(policies).toHaveLength(1);
      expect(policies[0].DeletionPolicy).toBe('Retain');
      // It is still the TLS-only policy.
      expect(JSON.stringify(policies[0].Properties)).toContain('"aws:SecureTransport":"false"');
    },
  );
});

describe.each(STAGE_NAMES)('bucket policies (%s): deleted by S3 with their buckets, never before them', (stage) => {
  const retain = stageConfig(stage).removalPolicy === RemovalPolicy.RETAIN;

  it(`every bucket ${retain ? 'is kept with its TLS-only policy' : 'keeps its policy, and the deny its emptying adds, until it is deleted'}`, () => {
    let buckets = 0;
    for (const [part, template] of Object.entries(stageTemplates(stage))) {
      const all = resources(template);
      for (const [id, r] of Object.entries(all)) {
        if (r.Type !== 'AWS::S3::Bucket') continue;
        buckets += 1;
        expect({ part, id, deletion: r.DeletionPolicy }).toEqual({ part, id, deletion: retain ? 'Retain' : 'Delete' });
        const policies = Object.values(all).filter(
          (p) => p.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: id }),
        );
        expect(policies).toHaveLength(1);
        expect({ part, id, policy: policies[0].DeletionPolicy }).toEqual({ part, id, policy: 'Retain' });
        expect(JSON.stringify(policies[0].Properties)).toContain('"aws:SecureTransport":"false"');
        if (!retain) {
          // Emptied on deletion by CDK's auto-delete custom resource, which adds the deny.
          const emptiers = Object.values(all).filter(
            (c) => c.Type === 'Custom::S3AutoDeleteObjects' && JSON.stringify(c.Properties?.BucketName) === JSON.stringify({ Ref: id }),
          );
          expect({ part, id, emptiers: emptiers.length }).toEqual({ part, id, emptiers: 1 });
        }
      }
    }
    // The lake and its access logs, the Athena results, the dashboard site and its logs; the load balancer's access logs with that front door.
    expect(buckets).toBe(stageConfig(stage).ingest.frontDoor.kind === 'alb' ? 6 : 5);
  });
});

describe.each(STAGE_NAMES)('log groups (%s): nothing left behind without retention', (stage) => {
  const config = stageConfig(stage);
  const expectedDeletion = config.removalPolicy === RemovalPolicy.DESTROY ? 'Delete' : 'Retain';

  it('every Lambda function, including CDK helper functions, logs into a log group of its stack with the stage retention', () => {
    let functions = 0;
    for (const [part, template] of Object.entries(stageTemplates(stage))) {
      const all = resources(template);
      for (const [id, r] of Object.entries(all)) {
        if (r.Type !== 'AWS::Lambda::Function') continue;
        functions += 1;
        const logGroupRef = (r.Properties?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
        expect({ part, id, logGroup: typeof logGroupRef }).toEqual({ part, id, logGroup: 'string' });
        const logGroup = all[logGroupRef as string];
        expect({
          part,
          id,
          type: logGroup.Type,
          retention: logGroup.Properties?.RetentionInDays,
          deletion: logGroup.DeletionPolicy,
        }).toEqual({
          part,
          id,
          type: 'AWS::Logs::LogGroup',
          retention: config.logRetention,
          deletion: expectedDeletion,
        });
      }
      expect(Object.values(all).filter((r) => r.Type === 'Custom::LogRetention')).toEqual([]);
    }
    // The app's own functions (ingest, query, two consumers, reports job) and CDK's helpers.
    expect(functions).toBeGreaterThan(5);
  });

  it("creates API Gateway's execution log group in the stack, before the stage that writes to it", () => {
    const all = resources(stageTemplates(stage).api);
    const logGroup = Object.keys(all).find((id) => all[id].Type === 'AWS::Logs::LogGroup' && id.startsWith('IngestExecutionLogs'));
    if (!logGroup) throw new Error('no execution log group');
    const apiId = onlyId(all, 'AWS::ApiGateway::RestApi', 'Ingest');
    expect(all[logGroup].Properties).toMatchObject({
      LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: apiId }, `/${stage}`]] },
      RetentionInDays: config.logRetention,
    });
    expect(all[logGroup].DeletionPolicy).toBe(expectedDeletion);
    const apiStage = onlyId(all, 'AWS::ApiGateway::Stage', 'Ingest');
    expect(all[apiStage].Properties?.MethodSettings).toEqual([expect.objectContaining({ LoggingLevel: 'ERROR' })]);
    expect(dependsOn(all, apiStage, logGroup)).toBe(true);
  });
});

describe('giveHelperFunctionsLogGroups', () => {
  it('gives a log group only to functions that name none, and leaves the others where they log', () => {
    const stack = new Stack(testApp(), 'HelperLogs');
    const own = new logs.LogGroup(stack, 'OwnLogs');
    new lambda.Function(stack, 'Own', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => 1;'),
      logGroup: own,
    });
    // A bucket emptied on deletion brings CDK's auto-delete provider, a plain CfnResource function.
    new s3.Bucket(stack, 'Bucket', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });

    const made = giveHelperFunctionsLogGroups(stack, { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });

    expect(made).toHaveLength(1);
    const all = resources(Template.fromStack(stack));
    const logGroupOf = (idPrefix: string) => {
      const id = onlyId(all, 'AWS::Lambda::Function', idPrefix);
      return (all[id].Properties?.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    };
    expect(logGroupOf('Own')).toBe(stack.getLogicalId(own.node.defaultChild as logs.CfnLogGroup));
    expect(logGroupOf('CustomS3AutoDeleteObjects')).toBe(stack.getLogicalId(made[0].node.defaultChild as logs.CfnLogGroup));
    expect(all[logGroupOf('CustomS3AutoDeleteObjects')].Properties?.RetentionInDays).toBe(7);
  });
});
