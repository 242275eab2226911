import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';

/**
 * Acknowledges, on the role and policy of CDK's BucketDeployment function (a singleton at stack
 * level), exactly the findings that CDK's own grants produce; anything else added to that policy
 * later is still reported. `bucketObjectsReason` says why it writes to all objects of `bucket`.
 */
export function acknowledgeBucketDeploymentFindings(
  deployment: s3deploy.BucketDeployment,
  bucket: s3.IBucket,
  bucketObjectsReason: string,
): void {
  const role = deployment.handlerRole;
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      "CDK's BucketDeployment function writes its logs with the AWS-managed basic execution policy; it runs only while the stack deploys.",
  });
  const handler = role.node.scope;
  if (handler) {
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        "The runtime of CDK's BucketDeployment function (Python, with the AWS CLI layer) is chosen by aws-cdk-lib and moves with its upgrades; it runs only while the stack deploys.",
    });
  }
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!(policy instanceof iam.Policy)) return;
  const stack = Stack.of(policy);
  const bucketObjects = `Resource::${flattenReference(stack.resolve(bucket.bucketArn))}/*`;
  for (const finding of wildcardFindings(stack.resolve(policy.document))) {
    let reason: string | undefined;
    if (finding.id.startsWith('Action::s3:')) {
      reason =
        "CDK's grantRead/grantReadWrite action groups: the function reads the asset zip and syncs (puts, lists, deletes) the objects of the destination bucket.";
    } else if (finding.id === bucketObjects) {
      reason = bucketObjectsReason;
    } else if (/^Resource::arn:(?:aws[a-z-]*|<AWS::Partition>):s3:::cdk-[^/]*-assets-[^/]*\/\*$/.test(finding.id)) {
      reason =
        "The asset objects in the CDK bootstrap bucket are named by content hash at synth time; CDK grants read on the bucket's objects.";
    } else if (finding.id === 'Resource::*' && finding.actions.every((a) => a.startsWith('cloudfront:'))) {
      reason =
        "CDK's BucketDeployment invalidates the distribution after a deploy; it grants cloudfront:CreateInvalidation and GetInvalidation on all distributions.";
    }
    if (reason) Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${finding.id}]`, reason });
  }
}

/** A wildcard finding of cdk-nag's IAM5 rule (`Action::…` or `Resource::…`) and the actions of its statement. */
export interface WildcardFinding {
  readonly id: string;
  readonly actions: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** A resolved CloudFormation value written the way cdk-nag names findings (`<Logical.Arn>`, `<AWS::Region>`). */
export function flattenReference(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (isRecord(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) return join[1].map(flattenReference).join(join[0]);
    if ('Fn::Sub' in value) return flattenReference(value['Fn::Sub']);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenReference(getAtt[0])}.${flattenReference(getAtt[1])}>`;
    if ('Fn::ImportValue' in value) return flattenReference(value['Fn::ImportValue']);
    if ('Ref' in value) return `<${flattenReference(value.Ref)}>`;
  }
  return JSON.stringify(value);
}

/** The wildcard actions and resources of a resolved policy document's Allow statements. */
export function wildcardFindings(document: unknown): WildcardFinding[] {
  const out = new Map<string, WildcardFinding>();
  const statements = isRecord(document) ? asArray(document.Statement) : [];
  for (const statement of statements) {
    if (!isRecord(statement) || statement.Effect !== 'Allow') continue;
    const actions = asArray(statement.Action).filter((a): a is string => typeof a === 'string');
    for (const action of actions) if (action.includes('*')) out.set(`Action::${action}`, { id: `Action::${action}`, actions });
    for (const resource of asArray(statement.Resource).map(flattenReference)) {
      if (resource.includes('*')) out.set(`Resource::${resource}`, { id: `Resource::${resource}`, actions });
    }
  }
  return [...out.values()];
}
