import { CfnElement, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { runSimulation, type Simulation, type SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import { loadCloudAssembly, TemplateResolver, type JsonValue, isJsonObject } from '../../local/template';
import { PERSON_ROLES, type PersonRole } from '../../lib/constructs/people-roles';

/** The account and region the templates are resolved in. */
export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';

/** What IAM decides for one request. */
export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

type Policy = { readonly Statement: JsonValue };

function asArray(v: JsonValue | undefined): JsonValue[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function isPolicy(v: JsonValue | undefined): v is JsonValue & Policy {
  return isJsonObject(v) && v.Statement !== undefined;
}

/**
 * A synthesized stage's IAM as AWS would see it once deployed: every template resolved to
 * concrete names and ARNs (the local runtime's resolver, in account {@link ACCOUNT}), the
 * policies attached to each people role, the trust policy of each, and the resource policies
 * (bucket, queue, topic and secret policies) by the ARN they protect. `decide` asks a real IAM
 * policy evaluator (`@cloud-copilot/iam-simulate`) for the answer.
 */
export class StageIam {
  readonly resolver: TemplateResolver;
  private readonly identity = new Map<PersonRole, SimulationIdentityPolicy[]>();
  private readonly trust = new Map<PersonRole, Policy>();
  private readonly roleArns = new Map<PersonRole, string>();
  private readonly resourcePolicies = new Map<string, Policy>();

  /** `roles`: the people roles of the app synthesized into `assemblyDir`. */
  constructor(roles: Readonly<Record<PersonRole, iam.IRole>>, assemblyDir: string) {
    const assembly = loadCloudAssembly(assemblyDir);
    this.resolver = new TemplateResolver(assembly.stacks, { accountId: ACCOUNT, region: REGION });
    const r = this.resolver;
    const roleByName = new Map<string, PersonRole>();
    for (const role of PERSON_ROLES) {
      const [stackName, logicalId] = this.locate(roles[role]);
      roleByName.set(r.ref(stackName, logicalId), role);
      this.roleArns.set(role, String(r.getAtt(stackName, logicalId, 'Arn')));
      const props = r.resolveProperties(r.resource(stackName, logicalId));
      if (!isPolicy(props.AssumeRolePolicyDocument)) throw new Error(`${role}: no trust policy`);
      this.trust.set(role, props.AssumeRolePolicyDocument);
      if (props.ManagedPolicyArns !== undefined || props.Policies !== undefined) {
        throw new Error(`${role}: policies on the role itself are not read by this test; attach them with a policy resource`);
      }
      this.identity.set(role, []);
    }
    const policyTypes = [
      'AWS::IAM::ManagedPolicy',
      'AWS::IAM::Policy',
      'AWS::S3::BucketPolicy',
      'AWS::SQS::QueuePolicy',
      'AWS::SNS::TopicPolicy',
      'AWS::SecretsManager::ResourcePolicy',
    ];
    for (const record of policyTypes.flatMap((type) => r.resourcesOfType(type))) {
      const props = r.resolveProperties(record);
      const document = props.PolicyDocument;
      const where = `${record.stackName}/${record.logicalId}`;
      switch (record.type) {
        case 'AWS::IAM::ManagedPolicy':
        case 'AWS::IAM::Policy':
          for (const name of asArray(props.Roles)) {
            const role = roleByName.get(String(name));
            if (role && isPolicy(document)) this.identity.get(role)?.push({ name: where, policy: document });
          }
          break;
        case 'AWS::S3::BucketPolicy':
          if (isPolicy(document)) this.resourcePolicies.set(`arn:aws:s3:::${String(props.Bucket)}`, document);
          break;
        case 'AWS::SQS::QueuePolicy':
          for (const url of asArray(props.Queues)) {
            const [, , host, account, name] = String(url).split('/');
            const region = host.split('.')[1];
            if (isPolicy(document)) this.resourcePolicies.set(`arn:aws:sqs:${region}:${account}:${name}`, document);
          }
          break;
        case 'AWS::SNS::TopicPolicy':
          for (const topic of asArray(props.Topics)) if (isPolicy(document)) this.resourcePolicies.set(String(topic), document);
          break;
        case 'AWS::SecretsManager::ResourcePolicy':
          if (isPolicy(props.ResourcePolicy)) this.resourcePolicies.set(String(props.SecretId), props.ResourcePolicy);
          break;
      }
    }
  }

  /** Stack name and logical id of a construct's CloudFormation resource. */
  private locate(construct: IConstruct): [string, string] {
    const cfn = construct instanceof CfnElement ? construct : construct.node.defaultChild;
    if (!(cfn instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
    const stack = Stack.of(cfn);
    return [stack.stackName, stack.getLogicalId(cfn)];
  }

  /** The deployed ARN (or another attribute) of a construct, as CloudFormation would return it. */
  attr(construct: IConstruct, attribute = 'Arn'): string {
    const [stackName, logicalId] = this.locate(construct);
    return String(this.resolver.getAtt(stackName, logicalId, attribute));
  }

  /** What `Ref` returns for a construct once deployed. */
  ref(construct: IConstruct): string {
    const [stackName, logicalId] = this.locate(construct);
    return this.resolver.ref(stackName, logicalId);
  }

  roleArn(role: PersonRole): string {
    const arn = this.roleArns.get(role);
    if (!arn) throw new Error(`no role ${role}`);
    return arn;
  }

  /** Names of the policies attached to a role (stack/logical id), for messages. */
  policyNames(role: PersonRole): string[] {
    return (this.identity.get(role) ?? []).map((p) => p.name);
  }

  /** The resource policy that guards `resource` (a bucket's for its objects), if any. */
  resourcePolicy(resource: string): Policy | undefined {
    const bucket = /^arn:aws:s3:::([^/]+)/.exec(resource);
    return this.resourcePolicies.get(bucket ? `arn:aws:s3:::${bucket[1]}` : resource);
  }

  /**
   * IAM's decision on `action` against `resource` by a session of the people role `role`, with
   * the identity policies attached to it and the resource's own policy. Requests come over TLS
   * unless `context` says otherwise.
   */
  async decide(role: PersonRole, action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<Decision> {
    const roleName = this.roleArn(role).split('/').pop() ?? '';
    return evaluate({
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/alice`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { 'aws:SecureTransport': 'true', ...context },
      },
      identityPolicies: this.identity.get(role) ?? [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: this.resourcePolicy(resource),
    });
  }

  /**
   * IAM's decision on `sts:AssumeRole` of the people role `role` by `principal` (an IAM user
   * whose own policy allows assuming any role), against the role's trust policy.
   */
  async decideAssume(role: PersonRole, principal: string, context: Record<string, string | string[]> = {}): Promise<Decision> {
    const allowAssume = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] };
    return evaluate({
      request: {
        principal,
        action: 'sts:AssumeRole',
        resource: { resource: this.roleArn(role), accountId: ACCOUNT },
        contextVariables: { 'aws:SecureTransport': 'true', ...context },
      },
      identityPolicies: [{ name: 'may-assume-roles', policy: allowAssume }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: this.trust.get(role),
    });
  }
}

async function evaluate(simulation: Simulation): Promise<Decision> {
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') {
    throw new Error(
      `simulation of ${simulation.request.action} on ${simulation.request.resource.resource}: ${JSON.stringify(result.errors)}`,
    );
  }
  return result.overallResult;
}
