import { CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';

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
