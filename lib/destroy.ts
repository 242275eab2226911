import { CfnDeletionPolicy, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * What `cdk destroy` does to a stack of the stage, decided in one place (see docs/deploy.md):
 * CDK's helper functions get log groups of the stack ({@link giveHelperFunctionsLogGroups}) and
 * retained buckets keep their policies ({@link retainPoliciesOfRetainedBuckets}).
 */
export function applyDestroyRules(stack: Stack, props: HelperLogsProps): void {
  giveHelperFunctionsLogGroups(stack, props);
  retainPoliciesOfRetainedBuckets(stack);
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
 * Gives the policy of every bucket of `stack` that CloudFormation retains the same fate: by
 * default a stack deletion keeps the bucket but deletes its `AWS::S3::BucketPolicy`, which leaves
 * the kept data without its TLS-only (and other) statements. Returns the policies it changed.
 */
export function retainPoliciesOfRetainedBuckets(stack: Stack): s3.CfnBucketPolicy[] {
  const changed: s3.CfnBucketPolicy[] = [];
  for (const child of stack.node.findAll()) {
    if (!(child instanceof s3.Bucket) || !child.policy) continue;
    const bucket = child.node.defaultChild;
    if (!(bucket instanceof s3.CfnBucket) || bucket.cfnOptions.deletionPolicy !== CfnDeletionPolicy.RETAIN) continue;
    child.policy.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const policy = child.policy.node.defaultChild;
    if (policy instanceof s3.CfnBucketPolicy) changed.push(policy);
  }
  return changed;
}
