import { CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * What `cdk destroy` does to a stack of the stage, decided in one place (see docs/deploy.md):
 * CDK's helper functions get log groups of the stack ({@link giveHelperFunctionsLogGroups}) and
 * bucket policies go with their buckets, never before them ({@link retainBucketPolicies}).
 */
export function applyDestroyRules(stack: Stack, props: HelperLogsProps): void {
  giveHelperFunctionsLogGroups(stack, props);
  retainBucketPolicies(stack);
}

export interface HelperLogsProps {
  readonly retention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Gives every Lambda function of `stack` that names no log group of its own (CDK's helper
 * functions, such as the singleton that empties buckets on stack deletion) a log group in the
 * stack, with the stage's retention and removal policy. Lambda would otherwise create
 * `/aws/lambda/<name>` itself on the first invoke: without retention, and left behind by
 * `cdk destroy`. The function references the log group, so CloudFormation deletes the log group
 * only after the function (and after the custom resources that invoke it on deletion).
 * Returns the log groups it made.
 */
export function giveHelperFunctionsLogGroups(stack: Stack, props: HelperLogsProps): logs.LogGroup[] {
  const made: logs.LogGroup[] = [];
  for (const child of stack.node.findAll()) {
    if (!(child instanceof CfnResource) || child.cfnResourceType !== lambda.CfnFunction.CFN_RESOURCE_TYPE_NAME) continue;
    // Functions built with the L2 construct say where they log; CDK's custom-resource providers
    // are plain CfnResources that never do.
    if (child instanceof lambda.CfnFunction && hasLogGroup(stack, child.loggingConfig)) continue;
    const scope = child.node.scope;
    if (!scope) continue;
    const logGroup = new logs.LogGroup(scope, `${child.node.id}Logs`, {
      retention: props.retention,
      removalPolicy: props.removalPolicy,
    });
    child.addPropertyOverride('LoggingConfig.LogGroup', logGroup.logGroupName);
    made.push(logGroup);
  }
  return made;
}

function hasLogGroup(stack: Stack, config: lambda.CfnFunction['loggingConfig']): boolean {
  const resolved: unknown = stack.resolve(config);
  return typeof resolved === 'object' && resolved !== null && 'logGroup' in resolved && resolved.logGroup !== undefined;
}

/**
 * Retains (in CloudFormation's sense) the policy of every bucket of `stack`, so CloudFormation
 * never deletes a bucket policy: S3 deletes it with its bucket. By default a stack deletion
 * deletes each `AWS::S3::BucketPolicy`, which (1) leaves a bucket the stage retains without its
 * TLS-only statements, and (2) on a bucket the stage deletes, lifts the deny on new objects that
 * CDK's auto-delete function adds after emptying it, so a late writer (Firehose flushing its
 * buffer, S3 or CloudFront log delivery) can put an object before the bucket is deleted, and
 * the deletion fails with BucketNotEmpty. Returns the policies it changed.
 */
export function retainBucketPolicies(stack: Stack): s3.CfnBucketPolicy[] {
  const changed: s3.CfnBucketPolicy[] = [];
  for (const child of stack.node.findAll()) {
    if (!(child instanceof s3.Bucket) || !child.policy) continue;
    child.policy.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const policy = child.policy.node.defaultChild;
    if (policy instanceof s3.CfnBucketPolicy) changed.push(policy);
  }
  return changed;
}
